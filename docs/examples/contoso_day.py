#!/usr/bin/env python3
"""Contoso's day through the portal's API (README "Contoso's day through the API").

Contoso Distribution, an indirect provider, lists its indirect resellers, invites one more,
orders for a customer of its reseller Northwind IT, raises the subscription's quantity, and
receives the portal's webhooks for both changes in a local receiver that verifies each one's
signature with the `standardwebhooks` library. Exits 0 when every step passed.

Needs Python 3.11+ and `standardwebhooks` (the portal's virtualenv has it); nothing else (the
calls use urllib). The credentials come from `manage.py demo_api_setup` (or the pages
/settings/api-clients/ and /settings/webhooks/), as options or environment variables:

    eval "$(.venv/bin/python manage.py demo_api_setup --webhook-url http://127.0.0.1:8765/)"
    .venv/bin/python docs/examples/contoso_day.py --base-url http://127.0.0.1:8000 --port 8765
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

ORDER_PLACED = "commerce.order.placed"
QUANTITY_CHANGED = "commerce.subscription.quantity_changed"


class StepFailed(Exception):
    pass


_SAYING = threading.Lock()


def say(step: str, text: str) -> None:
    # One line at a time: the receiver's thread says what arrived while the day goes on (two
    # print() calls at once could run one line into the other).
    with _SAYING:
        sys.stdout.write(f"{step:<11} {text}\n")
        sys.stdout.flush()


# The receiver ---------------------------------------------------------------------------------


class Receiver:
    """An integrator's endpoint: verifies every POST with the endpoint's secret (signature and
    timestamp), answers 204 to a verified one and 400 to any other, and keeps what it got."""

    def __init__(self, port: int, secret: str) -> None:
        self.webhook = Webhook(secret)
        self.verified: dict[str, dict[str, Any]] = {}  # webhook-id -> payload (dedup on the id)
        self.rejected = 0
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers.items())
                webhook_id = self.headers.get("webhook-id", "?")  # any case
                try:
                    payload = receiver.webhook.verify(body, headers)
                except WebhookVerificationError as exc:
                    with receiver.changed:
                        receiver.rejected += 1
                        receiver.changed.notify_all()
                    say("webhook", f"REJECTED {webhook_id}: {exc}")
                    self.send_response(400)
                else:
                    with receiver.changed:
                        seen = webhook_id in receiver.verified
                        receiver.verified[webhook_id] = payload
                        receiver.changed.notify_all()
                    data = payload.get("data", {})
                    about = (
                        f" (subscription {data['subscription']})" if "subscription" in data else ""
                    )
                    repeat = " (a repeat: already processed)" if seen else ""
                    say("webhook", f"{payload.get('type')} {webhook_id} verified{about}{repeat}")
                    self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, wanted: set[str], subscription_id: int, timeout: float) -> set[str]:
        """The event types of `wanted` received and verified for the subscription, waiting up to
        `timeout` seconds for all of them."""

        def got() -> set[str]:
            return {
                p.get("type", "")
                for p in self.verified.values()
                if p.get("data", {}).get("subscription") == subscription_id
            } & wanted

        deadline = time.monotonic() + timeout
        with self.changed:
            while got() != wanted and time.monotonic() < deadline:
                self.changed.wait(timeout=max(0.0, deadline - time.monotonic()))
            return got()


# The API ----------------------------------------------------------------------------------


class Api:
    def __init__(self, base_url: str) -> None:
        if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
            raise StepFailed(f"--base-url {base_url!r}: give an http:// or https:// URL")
        self.base_url = base_url.rstrip("/")
        self.token = ""

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        url = urllib.parse.urljoin(self.base_url + "/", path.lstrip("/"))
        sent = {"Accept": "application/json", **(headers or {})}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        # The scheme is http(s): the base URL's, checked in __init__.
        request = urllib.request.Request(  # noqa: S310
            url, data=data, headers=sent, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, answer = response.status, response.read()
                answer_headers = dict(response.headers.items())
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, exc.read()
            answer_headers = dict(exc.headers.items())
        except urllib.error.URLError as exc:
            raise StepFailed(f"{method} {url}: {exc.reason} (is the portal running?)") from exc
        parsed = json.loads(answer) if answer else None
        if status >= 400:
            # An RFC 9457 problem: its title, detail and per-field errors say what to fix.
            raise StepFailed(f"{method} {path}: {status} {json.dumps(parsed)}")
        return status, {k.lower(): v for k, v in answer_headers.items()}, parsed

    def every(self, path: str) -> list[dict[str, Any]]:
        """Every row of a list, following `next` until it is null."""
        rows: list[dict[str, Any]] = []
        url: str | None = path
        while url:
            _status, _headers, page = self.call("GET", url)
            rows.extend(page["results"])
            url = page.get("next")
        return rows


# The day ----------------------------------------------------------------------------------


def contoso_day(api: Api, receiver: Receiver, options: argparse.Namespace) -> None:
    # 1. A token: OAuth2 client credentials.
    _s, _h, token = api.call(
        "POST",
        "/api/v1/oauth/token/",
        form={
            "grant_type": "client_credentials",
            "client_id": options.client_id,
            "client_secret": options.client_secret,
        },
    )
    api.token = token["access_token"]
    say("token", f"ok (valid {token.get('expires_in')} s, scope {token.get('scope')})")

    # 2. The indirect resellers.
    resellers = api.every("/api/v1/indirect-resellers/")
    say(
        "resellers",
        f"{len(resellers)}: "
        + ", ".join(
            f"{r['reseller']['legal_name']} (id {r['reseller']['id']}, {r['status']})"
            for r in resellers
        ),
    )
    reseller = next(
        (
            r["reseller"]
            for r in resellers
            if options.reseller.lower() in r["reseller"]["legal_name"].lower()
            and r["status"] == "active"
        ),
        None,
    )
    if reseller is None:
        raise StepFailed(f"no active indirect reseller named like {options.reseller!r}")

    # 3. Invite one more reseller (an Idempotency-Key makes a retry of this POST safe).
    email = options.invite or f"admin@reseller-{uuid.uuid4().hex[:8]}.example"
    _s, _h, invitation = api.call(
        "POST",
        "/api/v1/reseller-invitations/",
        body={"email": email, "language": "en"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    say(
        "invitation",
        f"sent to {invitation['email']} (id {invitation['id']}, {invitation['status']})",
    )

    # 4. A customer of that reseller, shared with Contoso, and an offer of its market.
    customers = [
        c
        for c in api.every("/api/v1/customers/")
        if c["reseller_id"] == reseller["id"] and c["status"] == "active"
    ]
    if not customers:
        raise StepFailed(f"{reseller['legal_name']} shares no active customer with us")
    customer = customers[-1]["customer"]  # the oldest (the list is newest first)
    say("customer", f"{customer['legal_name']} (id {customer['id']}) of {reseller['legal_name']}")
    offers = [
        o
        for o in api.every(f"/api/v1/offers/?market={options.market}")
        if o["monthly_term_price"] is not None
    ]
    if not offers:
        raise StepFailed(f"no offer on sale in market {options.market}")
    offer = offers[0]
    say(
        "offer",
        f"{offer['name']} (id {offer['id']}), {offer['monthly_term_price']} {offer['currency']} "
        f"a {offer['unit']} and month",
    )

    # 5. The order; sent twice with one Idempotency-Key, it is placed once.
    order = {
        "customer_id": customer["id"],
        "offer_id": offer["id"],
        "quantity": max(1, offer["min_quantity"]),
        "term": "monthly",
        "billing_frequency": "monthly",
    }
    key = str(uuid.uuid4())
    status, _h, subscription = api.call(
        "POST", "/api/v1/orders/", body=order, headers={"Idempotency-Key": key}
    )
    say(
        "order",
        f"{status}: subscription {subscription['id']}, {subscription['quantity']} x "
        f"{offer['name']} for {customer['legal_name']}",
    )
    _s, replay_headers, again = api.call(
        "POST", "/api/v1/orders/", body=order, headers={"Idempotency-Key": key}
    )
    if again["id"] != subscription["id"] or replay_headers.get("idempotent-replayed") != "true":
        raise StepFailed("a repeat of the order with the same Idempotency-Key placed another one")
    say("retry", f"same key, same answer: subscription {again['id']} (Idempotent-Replayed)")

    # 6. Raise its quantity: the ETag of a GET in If-Match (a change since then would be a 412).
    path = f"/api/v1/subscriptions/{subscription['id']}/"
    _s, headers, current = api.call("GET", path)
    quantity = current["quantity"] + 1
    _s, _h, changed = api.call(
        "PATCH", path, body={"quantity": quantity}, headers={"If-Match": headers["etag"]}
    )
    if changed["quantity"] != quantity:
        raise StepFailed(f"the quantity is {changed['quantity']}, not {quantity}")
    say("quantity", f"subscription {changed['id']}: {current['quantity']} -> {quantity}")

    # 7. The webhooks of both changes, each verified by the receiver.
    wanted = {ORDER_PLACED, QUANTITY_CHANGED}
    got = receiver.wait_for(wanted, subscription["id"], options.timeout)
    if got != wanted:
        missing = ", ".join(sorted(wanted - got))
        raise StepFailed(
            f"no verified webhook {missing} within {options.timeout:.0f} s "
            f"({receiver.rejected} rejected): is the worker running, and the endpoint's URL "
            f"http://127.0.0.1:{options.port}/ ?"
        )


def main(argv: list[str] | None = None) -> int:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default=env("PORTAL_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--client-id", default=env("PORTAL_CLIENT_ID"))
    parser.add_argument("--client-secret", default=env("PORTAL_CLIENT_SECRET"))
    parser.add_argument("--webhook-secret", default=env("PORTAL_WEBHOOK_SECRET"))
    parser.add_argument(
        "--port", type=int, default=int(env("PORTAL_RECEIVER_PORT", "8765")), help="receiver port"
    )
    parser.add_argument("--reseller", default="Northwind", help="the reseller whose customer buys")
    parser.add_argument("--market", default="IT", help="the customer's market (Northwind's: IT)")
    parser.add_argument("--invite", help="the address to invite (default: a new one each run)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for webhooks")
    options = parser.parse_args(argv)
    for name in ("client_id", "client_secret", "webhook_secret"):
        if not getattr(options, name):
            parser.error(
                f"--{name.replace('_', '-')} (or PORTAL_{name.upper()}) is required: "
                "run manage.py demo_api_setup"
            )

    receiver = Receiver(options.port, options.webhook_secret)
    receiver.start()
    say("receiver", f"listening on http://127.0.0.1:{options.port}/")
    try:
        contoso_day(Api(options.base_url), receiver, options)
    except StepFailed as exc:
        say("FAILED", str(exc))
        return 1
    finally:
        receiver.stop()
    say("done", "all steps passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
