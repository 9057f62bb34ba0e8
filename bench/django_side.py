"""The parts of bench/run that run inside Django, one subprocess per database (bench/run sets
DATABASE_URL and the production settings in the environment). Each prints one JSON object.

    django_side.py prepare [--close-month] EMAIL...
                                       TOTP for those users, ids the page URLs need (the
                                       invoice pages' only with --close-month: see invoice_ids)
    django_side.py seeded              whether seed_scale's data is there (bench/run --reuse)
    django_side.py measure PAGES_JSON  queries and in-process time of every page (test Client)
    django_side.py email N PREFIX      N messages through the outbox; waits until all are sent
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")

PROVIDER = "admin@contoso-distribution.example"
RESELLER = "admin@northwind-it.example"
WIZARD = "admin@litware-solutions.example"
API_CLIENT_NAME = "bench/run"
# A page slower than this in process is timed once, not repeatedly (the run stays bounded).
SLOW_S = 5.0


def prepare(emails: list[str], close_month: bool = True) -> dict[str, Any]:
    """Enrol a TOTP authenticator for every bench user (once; the secrets are reused: under
    production settings reviewers and Global admins must sign in with a second factor), and
    find the ids the page URLs need in this database. The previous month is closed (and the
    invoice pages' ids found) only with `close_month`: at scale 1.0 the close takes minutes, and
    bench/run asks for it only when a selected page or export reads invoices."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from allauth.mfa.utils import decrypt

    from enrollment.models import EnrollmentDraft
    from portal.models import Organization, User
    from relationships.models import CustomerRelationship
    from verification.models import VerificationCase

    secrets: dict[str, str] = {}
    for user in User.objects.filter(email__in=emails):
        authenticator = Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None:
            secrets[user.email] = generate_totp_secret()
            TOTP.activate(user, secrets[user.email])
        else:
            secrets[user.email] = decrypt(authenticator.data["secret"])
    contoso = Organization.objects.get(primary_domain="contoso-distribution.example")
    # The reseller with the most customers shared with Contoso (the /customers/ filter).
    from django.db.models import Count

    biggest = (
        CustomerRelationship.objects.filter(provider=contoso)
        .values("reseller")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    case = (
        VerificationCase.objects.filter(status=VerificationCase.Status.IN_REVIEW)
        .order_by("waiting_since", "pk")
        .first()
    )
    draft = EnrollmentDraft.objects.get(user__email=WIZARD)
    return {
        **subscription_ids(contoso),
        **(invoice_ids(contoso) if close_month else {}),
        "api_tokens": {e: api_token(e) for e in (PROVIDER, RESELLER) if e in emails},
        "totp_secrets": secrets,
        "reseller_id": biggest["reseller"] if biggest else 0,
        "case_id": case.pk if case else 0,
        "wizard_legal": draft.data.get("legal", {}),
        "wizard_step": "legal",
    }


def api_token(email: str) -> str:
    """A bearer token for the API list endpoints: an API client of the user's organization with
    every partner role, made by its Global admin through the settings page's service (the last
    run's bench clients revoked first), and a token from the real token endpoint."""
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from api.models import ApiClient
    from api.services import api_client_create, api_client_revoke
    from portal.models import Membership
    from portal.policy import ALL_PARTNER_ROLES

    admin = Membership.objects.select_related("user", "organization").get(
        user__email=email, global_admin=True
    )
    for old in ApiClient.objects.filter(
        organization=admin.organization, name=API_CLIENT_NAME, revoked_at__isnull=True
    ):
        api_client_revoke(actor=admin.user, client=old)
    created = api_client_create(
        actor=admin.user,
        organization=admin.organization,
        name=API_CLIENT_NAME,
        roles=sorted(ALL_PARTNER_ROLES),
        expires_at=timezone.now() + timedelta(days=2),
    )
    response = Client(HTTP_HOST="127.0.0.1").post(
        "/api/v1/oauth/token/",
        {
            "grant_type": "client_credentials",
            "client_id": created.client.client_id,
            "client_secret": created.secret,
        },
    )
    if response.status_code != 200:
        raise SystemExit(f"no API token for {email}: HTTP {response.status_code}")
    return response.json()["access_token"]


def subscription_ids(provider: Any) -> dict[str, Any]:
    """For the commerce pages: a customer of the provider with subscriptions (the `?customer=`
    filter) and the keyset cursor of its active subscription halfway down the list (a deep
    page)."""
    from commerce.models import Subscription
    from portal.paging import encode_cursor

    active = Subscription.objects.filter(provider=provider, status="active").order_by(
        "-purchased_at", "-pk"
    )
    middle = active[active.count() // 2 :].first()
    return {
        "subscription_customer_id": middle.customer_id if middle else 0,
        "subscription_cursor": encode_cursor(middle.purchased_at, middle.pk) if middle else "",
    }


def invoice_ids(provider: Any) -> dict[str, Any]:
    """For the invoice pages and the reconciliation file: the previous month closed (once:
    seed_scale leaves it open, and a closed month issues nothing again; no emails), and the
    month and currency of the provider's most invoices in it (the billed file's choice)."""
    from django.db.models import Count

    from invoicing.models import BillingPeriod, Invoice
    from invoicing.services import period_close, previous_period

    period = previous_period()
    closed = BillingPeriod.objects.filter(
        period=period, status=BillingPeriod.Status.CLOSED
    ).exists()
    if not closed:
        period_close(period, notify=False)
        _vacuum("invoicing_charge", "invoicing_invoice")
    top = (
        Invoice.objects.filter(seller=provider, period=period)
        .values("currency")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    return {
        "invoice_period": f"{period:%Y-%m}",
        "invoice_currency": top["currency"] if top else "EUR",
    }


def _vacuum(*tables: str) -> None:
    """VACUUM (ANALYZE) the tables the close rewrote, as autovacuum does within minutes of a
    real month's close. Measured straight after it, every page and file that reads the lines
    paid for the close's 6.6 M updated rows at scale 1.0: the reconciliation file's row count
    (its LIMIT 10,001 index-only scan) fetched ~10,000 heap pages for visibility, 42 ms at
    scale 0.1 against 5.4 ms after the vacuum, which made its page 3.09 times slower at 1.0
    than at 0.01 (`bench/results.json` of 629bf52)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")


def totp_code(secret: str) -> dict[str, Any]:
    """The current code and the seconds left in its period (bench/run waits for the next one
    rather than send a code that expires on its way)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    now = time.time()
    period = app_settings.TOTP_PERIOD
    return {
        "code": format_hotp_value(hotp_value(secret, int(now) // period)),
        "remaining_s": period - now % period,
    }


def measure(pages: list[dict[str, Any]], budget_s: float, repeat_max: int) -> dict[str, Any]:
    """Per page: queries of one request (after a warm-up) and the median in-process time. The
    pages that require a second factor only ask that an authenticator is enrolled (prepare
    did), so force_login is the same session as one after the TOTP step."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import inprocess
    from portal.models import User

    users = {u.email: u for u in User.objects.filter(email__in={p["user"] for p in pages})}
    clients: dict[str, Client] = {}
    results: dict[str, Any] = {}
    for page in pages:
        headers = page.get("headers")
        key = f"{page['user']} {headers}"
        client = clients.get(key)
        if client is None:
            if headers:  # an API call: the bearer token, no session
                client = Client(HTTP_HOST="127.0.0.1", headers=headers)
            else:
                client = Client(HTTP_HOST="127.0.0.1")
                client.force_login(users[page["user"]])
            clients[key] = client

        def request(client: Client = client, page: dict[str, Any] = page) -> Any:
            if page.get("method") == "POST":
                return inprocess.post_form(client, page["path"], page.get("data"))
            response: Any = client.get(page["path"])
            if response.streaming:
                # A streamed file's queries and time are the request's own: read it here,
                # inside the query capture and the timing (it was read after both, so a small
                # database's streamed export counted neither its rows' query nor writing them).
                response.streamed_body = b"".join(response.streaming_content)
            return response

        started = time.perf_counter()
        try:
            request()  # warm caches and templates
        except Exception as exc:  # a statement timeout, a server error: report, go on
            results[page["label"]] = {"status": 0, "error": f"{type(exc).__name__}: {exc}"[:300]}
            continue
        slow = time.perf_counter() - started > SLOW_S
        timings: list[float] = []
        started = time.perf_counter()
        try:
            with CaptureQueriesContext(connection) as captured:
                response = request()
        except Exception as exc:
            results[page["label"]] = {"status": 0, "error": f"{type(exc).__name__}: {exc}"[:300]}
            continue
        timings.append((time.perf_counter() - started) * 1000)
        queries = [
            q
            for q in captured.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))
        ]
        while (
            not slow
            and len(timings) < repeat_max
            and (len(timings) < 3 or time.perf_counter() - started < budget_s)
        ):
            t0 = time.perf_counter()
            request()
            timings.append((time.perf_counter() - t0) * 1000)
        body = response.streamed_body if response.streaming else response.content
        results[page["label"]] = {
            "status": response.status_code,
            "queries": len(queries),
            "ms": statistics.median(timings),
            "runs": len(timings),
            "bytes": len(body),
        }
    return results


def email(count: int, prefix: str, timeout_s: float) -> dict[str, Any]:
    """Write `count` messages through the outbox's public entry point (in transactions of 100,
    as a busy portal would), then wait until every row has `sent_at`."""
    from django.db import transaction

    from portal import outbox
    from portal.models import OutboxMessage

    context = {"name": "Bench", "link": "https://portal.example/bench/"}
    subject, text, html = outbox.render_email(
        template="verification_contact_confirm", context=context, language="en"
    )
    started = time.perf_counter()
    for first in range(0, count, 100):
        with transaction.atomic():
            for index in range(first, min(count, first + 100)):
                key = f"{prefix}-{index}"
                to = f"bench{index}@sink.example"
                try:
                    outbox.outbox_write(
                        key=key,
                        to=to,
                        template="verification_contact_confirm",
                        context=context,
                        language="en",
                        organization=None,
                        subject=subject,
                        text=text,
                        html=html,
                    )
                except TypeError:  # the signature moved: the template-rendering entry point
                    outbox.outbox_enqueue(
                        key=key, to=to, template="verification_contact_confirm", context=context
                    )
    enqueued = time.perf_counter() - started
    rows = OutboxMessage.objects.filter(idempotency_key__startswith=f"{prefix}-")
    sent = 0
    while time.perf_counter() - started < timeout_s:
        sent = rows.filter(sent_at__isnull=False).count()
        if sent >= count:
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    return {"count": count, "sent": sent, "enqueue_s": enqueued, "elapsed_s": elapsed}


def main() -> int:
    import django

    django.setup()
    command = sys.argv[1]
    if command == "prepare":
        close_month = "--close-month" in sys.argv[2:]
        emails = [arg for arg in sys.argv[2:] if arg != "--close-month"]
        result: Any = prepare(emails, close_month=close_month)
    elif command == "seeded":
        from devtools.scale.run import existing_scale_data

        result = {"seeded": existing_scale_data()}
    elif command == "totp":
        result = totp_code(sys.argv[2])
    elif command == "measure":
        spec = json.loads(Path(sys.argv[2]).read_text())
        result = measure(spec["pages"], spec["budget_s"], spec["repeat_max"])
    elif command == "email":
        result = email(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]))
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
