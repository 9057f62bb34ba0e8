"""Webhook faults on a real stack (tests/faults/conftest.py: a Celery worker with the production
pool, beat sweeping, a private Redis) sending to real receivers on loopback that verify every
signature with the `standardwebhooks` library, as an integrator's code would:

- the receiver down for WEBHOOK_FAULT_DOWN_SECONDS (60 s, the issue's acceptance) while events are
  recorded: afterwards every event is delivered, 0 lost, a duplicate only with its webhook-id;
- a receiver slower than WEBHOOKS_TIMEOUT_SECONDS: a failure, retried; the worker is not held
  (another endpoint's events go out meanwhile);
- a receiver answering 500: retried with growing gaps; the delivery log shows 500 and the start
  of the answer.

The retry schedule is shortened by settings (WEBHOOKS_RETRY_BASE_SECONDS 2 s doubling to 8 s
here, where a deployment has 30 s doubling to 1 h): with the defaults, a 60 s outage costs three
failed rounds (at 0, 30 and 90 s) and the next round comes at 210 s, so the backlog would drain up
to 150 s after the receiver is back. The shape (exponential, capped, one failure per endpoint and
round) is the same. Each test prints its figures under "measured figures"."""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from portal.audit import audit_record
from tests.factories import member
from tests.faults.conftest import wait_until
from tests.figures import report
from tests.integration.conftest import _free_port
from tests.webhooks.factories import CANCELLED, endpoint_for
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_secret_rotate

DOWN_SECONDS = float(os.environ.get("WEBHOOK_FAULT_DOWN_SECONDS", "60"))

FAST_RETRIES = {
    "WEBHOOKS_RETRY_BASE_SECONDS": "2",
    "WEBHOOKS_RETRY_MAX_SECONDS": "8",
    "WEBHOOKS_DISABLE_AFTER": "100",
    "WEBHOOKS_MAX_ATTEMPTS": "100",
    "WEBHOOKS_SWEEP_SECONDS": "5",
}

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class Receiver:
    """An integrator's endpoint on loopback: verifies each POST with any of `secrets` (the
    library's own check, one secret at a time), keeps (monotonic time, webhook-id, verified,
    payload), waits `delay` seconds and answers `status` with `body`."""

    def __init__(self, port: int, *secrets: str) -> None:
        self.port = port
        self.secrets = secrets
        self.received: list[tuple[float, str, bool, dict]] = []
        self.status = 204
        self.body = b""
        self.delay = 0.0
        self.server: ThreadingHTTPServer | None = None
        self.lock = threading.Lock()

    def _verified(self, body: bytes, headers: dict[str, str]) -> tuple[bool, dict]:
        for secret in self.secrets:
            try:
                return True, Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
        return False, json.loads(body)

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                verified, payload = receiver._verified(body, dict(self.headers.items()))
                with receiver.lock:
                    receiver.received.append(
                        (time.monotonic(), self.headers["webhook-id"], verified, payload)
                    )
                status, answer, delay = receiver.status, receiver.body, receiver.delay
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the sender gave up waiting
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def ids(self) -> list[str]:
        with self.lock:
            return [r[1] for r in self.received]

    def check_copies(self) -> int:
        """Duplicates received; asserts each copy of a webhook-id is verified and the same."""
        with self.lock:
            received = list(self.received)
        assert all(verified for _t, _id, verified, _p in received)
        first: dict[str, dict] = {}
        for _t, webhook_id, _v, payload in received:
            assert first.setdefault(webhook_id, payload) == payload
        return len(received) - len(first)


def _record(org, n: int) -> str:
    with transaction.atomic():
        event = audit_record(type=CANCELLED, organization=org, actor=None, n=n)
    return f"msg_{event.pk}"


def _sent(endpoint: WebhookEndpoint) -> int:
    return WebhookDelivery.objects.filter(
        endpoint=endpoint, status=WebhookDelivery.Status.SENT
    ).count()


@pytest.mark.parametrize("fault_stack", [FAST_RETRIES], indirect=True)
def test_receiver_down_60_s_while_events_come_then_every_event_delivered(fault_stack):
    org = member().organization
    port = _free_port()
    endpoint = endpoint_for(org, url=f"http://127.0.0.1:{port}/hooks")
    receiver = Receiver(port, endpoint.secret)
    expected: list[str] = []
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < DOWN_SECONDS:  # one event every 2 s, nobody listening
        expected.append(_record(org, n))
        n += 1
        time.sleep(2)
    assert _sent(endpoint) == 0
    failed_rounds = WebhookEndpoint.objects.get(pk=endpoint.pk).consecutive_failures
    assert failed_rounds >= 3, fault_stack.tail()  # the worker kept trying, backing off

    receiver.start()
    up = time.monotonic()
    try:
        for _ in range(5):  # and events keep coming after it is back
            expected.append(_record(org, n))
            n += 1
        drained = wait_until(lambda: _sent(endpoint) == len(expected), 90)
        drain_seconds = time.monotonic() - up
        time.sleep(2)  # a late duplicate would show up here
    finally:
        receiver.stop()
    assert drained, fault_stack.tail()
    duplicates = receiver.check_copies()
    lost = set(expected) - set(receiver.ids)
    assert not lost and set(receiver.ids) == set(expected)
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.consecutive_failures == 0
    line = (
        f"webhook receiver down {DOWN_SECONDS:.0f} s: events {len(expected)}, delivered "
        f"{len(set(receiver.ids))}, lost {len(lost)}, duplicates {duplicates} (same webhook-id), "
        f"failed rounds while down {failed_rounds}, drained {drain_seconds:.1f} s after it "
        "came back"
    )
    print(f"\n{line}")
    report("faults", line)


@pytest.mark.parametrize(
    "fault_stack",
    [{**FAST_RETRIES, "WEBHOOKS_RETRY_BASE_SECONDS": "1", "WEBHOOKS_TIMEOUT_SECONDS": "1"}],
    indirect=True,
)
def test_a_slow_receiver_is_a_failure_retried_and_the_worker_is_not_held(fault_stack):
    org = member().organization
    slow_port, fast_port = _free_port(), _free_port()
    slow = endpoint_for(org, url=f"http://127.0.0.1:{slow_port}/hooks")
    fast = endpoint_for(org, url=f"http://127.0.0.1:{fast_port}/hooks")
    slow_receiver = Receiver(slow_port, slow.secret)
    slow_receiver.delay = 4.0  # beyond the 1 s delivery timeout
    fast_receiver = Receiver(fast_port, fast.secret)
    slow_receiver.start()
    fast_receiver.start()
    try:
        started = time.monotonic()
        expected = [_record(org, n) for n in range(5)]
        # The fast endpoint gets every event while the slow one times out again and again.
        assert wait_until(lambda: _sent(fast) == 5, 30), fault_stack.tail()
        fast_seconds = time.monotonic() - started
        assert wait_until(
            lambda: WebhookEndpoint.objects.get(pk=slow.pk).consecutive_failures >= 2, 30
        )
        assert _sent(slow) == 0
        timed_out = WebhookDelivery.objects.filter(endpoint=slow, attempts__gte=1).first()
        assert timed_out.last_status_code is None
        assert "timed out" in timed_out.response_excerpt, timed_out.response_excerpt
        assert timed_out.latency_ms < 3000  # given up after the timeout, not the answer

        slow_receiver.delay = 0.0  # it recovers
        recovered = time.monotonic()
        assert wait_until(lambda: _sent(slow) == 5, 60), fault_stack.tail()
        drain_seconds = time.monotonic() - recovered
        time.sleep(1)
    finally:
        slow_receiver.stop()
        fast_receiver.stop()
    duplicates = slow_receiver.check_copies()
    assert set(slow_receiver.ids) == set(expected) and set(fast_receiver.ids) == set(expected)
    assert fast_receiver.check_copies() == 0
    attempts = len(slow_receiver.ids)
    line = (
        f"webhook receiver slower than the 1 s timeout: events 5, delivered 5 (+5 to a fast "
        f"endpoint in {fast_seconds:.1f} s meanwhile), lost 0, slow receiver's copies {attempts} "
        f"({duplicates} duplicates, same webhook-id), drained {drain_seconds:.1f} s after it "
        "sped up"
    )
    print(f"\n{line}")
    report("faults", line)


@pytest.mark.parametrize(
    "fault_stack", [{**FAST_RETRIES, "WEBHOOKS_RETRY_BASE_SECONDS": "1"}], indirect=True
)
def test_a_receiver_answering_500_is_retried_with_backoff_and_the_log_shows_it(fault_stack, client):
    admin = member()
    org = admin.organization
    port = _free_port()
    endpoint = endpoint_for(org, url=f"http://127.0.0.1:{port}/hooks")
    old_secret = endpoint.secret
    # Mid-rotation: the receiver still knows only the old secret, which keeps signing.
    endpoint = webhook_secret_rotate(actor=admin.user, endpoint=endpoint)
    receiver = Receiver(port, old_secret)
    receiver.status, receiver.body = 500, b"upstream error: ledger locked\n" + b"x" * 500
    receiver.start()
    try:
        expected = _record(org, 1)
        assert wait_until(lambda: len(receiver.ids) >= 4, 40), fault_stack.tail()
        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        assert delivery.status == WebhookDelivery.Status.PENDING
        assert delivery.last_status_code == 500
        assert delivery.response_excerpt.startswith("upstream error: ledger locked")
        assert len(delivery.response_excerpt) <= 200
        client.force_login(admin.user)
        log = client.get(f"/settings/webhooks/{endpoint.pk}/deliveries/").text
        assert "500" in log and "upstream error: ledger locked" in log

        receiver.status, receiver.body = 204, b""
        assert wait_until(lambda: _sent(endpoint) == 1, 30), fault_stack.tail()
        time.sleep(1)
    finally:
        receiver.stop()
    times = [r[0] for r in receiver.received]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # 1, 2, 4, 8 s: each gap at least the schedule's (less a sweep's jitter), and growing.
    assert gaps[0] >= 0.8 and gaps[1] >= 1.6 and gaps[2] >= 3.2, gaps
    assert receiver.check_copies() == len(times) - 1 and set(receiver.ids) == {expected}
    delivery.refresh_from_db()
    assert delivery.last_status_code == 204 and delivery.attempts == len(times)
    log = client.get(f"/settings/webhooks/{endpoint.pk}/deliveries/").text
    assert "204" in log
    line = (
        f"webhook receiver answering 500: 1 event, {len(times) - 1} failed attempts then "
        f"delivered, gaps {', '.join(f'{g:.1f}' for g in gaps)} s, verified with the secret "
        "rotated out (overlap)"
    )
    print(f"\n{line}")
    report("faults", line)
