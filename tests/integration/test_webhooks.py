"""Webhooks end to end: this process records audit events, a real Celery worker on Redis sends
them to a receiver on loopback that checks every signature with the `standardwebhooks` library
(as an integrator's code would)."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from portal.audit import audit_record
from tests.factories import member
from tests.webhooks.factories import CANCELLED, endpoint_for
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """An integrator's endpoint: verifies each POST, keeps (webhook-id, verified, payload) and
    answers `status`."""

    def __init__(self, port: int, secret: str, status: int = 204) -> None:
        self.received: list[tuple[str, bool, dict]] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    payload = Webhook(secret).verify(body, dict(self.headers.items()))
                    verified = True
                except WebhookVerificationError:
                    payload, verified = json.loads(body), False
                receiver.received.append((self.headers["webhook-id"], verified, payload))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _until(check, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


FAST_RETRIES = {
    "WEBHOOKS_RETRY_BASE_SECONDS": "0.5",
    "WEBHOOKS_RETRY_MAX_SECONDS": "1",
    "WEBHOOKS_DISABLE_AFTER": "50",
}


@pytest.mark.parametrize("celery_stack", [FAST_RETRIES], indirect=True)
def test_receiver_down_then_up_gets_every_event_verified_none_lost(celery_stack):
    port = _free_port()
    org = member().organization
    endpoint = endpoint_for(org, url=f"http://127.0.0.1:{port}/hooks")
    events = []
    for n in range(20):
        with transaction.atomic():
            events.append(audit_record(type=CANCELLED, organization=org, actor=None, n=n))
    expected = {f"msg_{event.pk}" for event in events}
    # The receiver is down: the worker's attempts fail (connection refused) and back off.
    assert _until(lambda: WebhookDelivery.objects.filter(attempts__gte=1).exists(), 30)
    time.sleep(4)
    assert not WebhookDelivery.objects.filter(status=WebhookDelivery.Status.SENT).exists()
    failures = WebhookEndpoint.objects.get(pk=endpoint.pk).consecutive_failures
    assert failures >= 2  # several rounds failed, one failure counted per round

    receiver = Receiver(port, endpoint.secret)
    try:
        assert _until(lambda: {r[0] for r in receiver.received} >= expected, 60)
        assert _until(
            lambda: (
                WebhookDelivery.objects.filter(status=WebhookDelivery.Status.SENT).count() == 20
            ),
            30,
        )
        time.sleep(1.5)  # a late duplicate would show up here
    finally:
        receiver.stop()
    ids = [r[0] for r in receiver.received]
    assert set(ids) == expected  # 0 lost, nothing else
    assert all(verified for _id, verified, _p in receiver.received)
    # Every copy of one webhook-id carries the same event.
    by_id = {r[0]: r[2] for r in receiver.received}
    assert all(by_id[i] == p for i, _v, p in receiver.received)
    assert {p["data"]["n"] for p in by_id.values()} == set(range(20))
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.consecutive_failures == 0
    print(
        f"\nwebhooks: {len(ids)} received for 20 events ({len(ids) - 20} duplicates), "
        f"{failures} failed rounds while down"
    )


@pytest.mark.parametrize(
    "celery_stack",
    [{**FAST_RETRIES, "WEBHOOKS_RETRY_BASE_SECONDS": "0.2", "WEBHOOKS_DISABLE_AFTER": "3"}],
    indirect=True,
)
def test_an_endpoint_failing_n_times_is_disabled_and_its_admins_emailed(celery_stack):
    admin = member()
    org = admin.organization
    port = _free_port()
    endpoint = endpoint_for(org, url=f"http://127.0.0.1:{port}/hooks")
    receiver = Receiver(port, endpoint.secret, status=500)
    try:
        with transaction.atomic():
            audit_record(type=CANCELLED, organization=org, actor=None, subscription=1)
        assert _until(lambda: not WebhookEndpoint.objects.get(pk=endpoint.pk).enabled, 30)
        time.sleep(1)  # no attempt after the disabling
    finally:
        receiver.stop()
    assert len(receiver.received) == 3
    assert len({r[0] for r in receiver.received}) == 1  # retries of one event: one webhook-id
    assert all(verified for _id, verified, _p in receiver.received)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.last_status_code == 500
    messages = celery_stack.wait_for(1, timeout=30)
    assert [m["to"] for m in messages] == [[admin.user.email]]
    assert "Webhook endpoint disabled" in messages[0]["data"]
