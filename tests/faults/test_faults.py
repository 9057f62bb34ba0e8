"""Fault scenarios on a real stack: every email is delivered once, the worker outlives the fault.

Each prints "queued N, delivered N, duplicates D, lost 0, worker alive" under "measured
figures". Delivered counts distinct Message-IDs at the sink; duplicates counts extra copies.
The PostgreSQL restart also serves the portal with gunicorn and prints how its web process
answered through the outage (0 x 500)."""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from portal.outbox import message_id_header
from tests.faults.conftest import Poller, Stack, wait_until
from tests.figures import report
from tests.integration.conftest import use_broker

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The worker's pool size (tests.faults.conftest starts it with --concurrency=2).
PROCESSES = 2
# Outages several times longer than the worker's longest retry wait (OUTBOX_RETRY_MAX_SECONDS=4)
# and beat's sweep (5 s): every email waits through retries and sweeps, none is given up.
BROKER_OUTAGE = 15
SMTP_OUTAGE = 20
POSTGRES_OUTAGE = 5


def _expected_ids(stack: Stack, ids: list[int]) -> set[str]:
    return {message_id_header(pk, key) for pk, key, _sent in stack.rows(ids)}


def _outcome(stack: Stack, scenario: str, ids: list[int], *, timeout: float = 120) -> dict:
    """Wait until every row is sent, then count what the sink got."""
    wait_until(lambda: stack.unsent(ids) == 0, timeout, step=0.5)
    time.sleep(3)  # a late duplicate would show up here
    expected = _expected_ids(stack, ids)
    got = stack.sink.distinct()
    figures = {
        "queued": len(ids),
        "delivered": len(expected & got),
        "duplicates": stack.sink.duplicates,
        "lost": len(expected - got),
        "unsent": stack.unsent(ids),
        "worker": "alive" if stack.worker_alive else "DEAD",
        "beat": "alive" if stack.beat_alive else "DEAD",
    }
    report(
        "faults",
        f"{scenario}: queued {figures['queued']}, delivered {figures['delivered']}, "
        f"duplicates {figures['duplicates']}, lost {figures['lost']}, worker {figures['worker']}"
        f", beat {figures['beat']}",
    )
    return figures


def _assert_clean(figures: dict, stack: Stack, *, duplicates_allowed: int = 0) -> None:
    logs = stack.tail()
    assert figures["worker"] == "alive", logs
    assert figures["beat"] == "alive", logs
    assert figures["unsent"] == 0, logs
    assert figures["lost"] == 0, logs
    assert figures["delivered"] == figures["queued"], logs
    assert figures["duplicates"] <= duplicates_allowed, logs


def test_broker_down_with_a_busy_worker(fault_stack):
    stack = fault_stack
    stack.sink.delay = 0.15  # ~13 messages a second over two processes: busy for ~20 s
    ids = stack.write(250, prefix="broker")
    assert wait_until(lambda: len(stack.sink.messages) >= 20, 60), stack.tail()
    worker_pid = stack.workers[-1].pid
    stack.redis.stop()
    ids += stack.write(25, prefix="broker-down")  # publishing fails: the rows are safe
    time.sleep(BROKER_OUTAGE)
    assert stack.worker_alive, stack.tail()
    stack.redis.start()
    assert wait_until(lambda: stack.unsent(ids) == 0, 120), stack.tail()
    # Beat came back too: rows whose drain was never queued go out only through its sweep.
    use_broker("redis://127.0.0.1:9/0")  # nothing listens there: this process cannot queue
    try:
        ids += stack.write(5, prefix="after-outage")
    finally:
        use_broker(stack.redis.url)
    figures = _outcome(stack, f"broker down {BROKER_OUTAGE} s with a busy worker", ids)
    _assert_clean(figures, stack)
    assert stack.workers[-1].pid == worker_pid  # the same worker, not a restarted one


def test_smtp_down(fault_stack):
    stack = fault_stack
    stack.sink.delay = 0.02
    ids = stack.write(150, prefix="smtp")
    assert wait_until(lambda: len(stack.sink.messages) >= 20, 60), stack.tail()
    stack.smtp.stop()  # connections refused from now on
    ids += stack.write(50, prefix="smtp-down")
    time.sleep(SMTP_OUTAGE)
    assert stack.unsent(ids) > 0
    stack.smtp.start()
    figures = _outcome(stack, f"SMTP down {SMTP_OUTAGE} s", ids)
    _assert_clean(figures, stack)


@pytest.mark.parametrize("fault_stack", [{"OUTBOX_CLAIM_TIMEOUT_SECONDS": "8"}], indirect=True)
def test_worker_sigkill_mid_batch(fault_stack):
    stack = fault_stack
    stack.sink.delay = 0.05
    ids = stack.write(250, prefix="kill")
    assert wait_until(lambda: len(stack.sink.messages) >= 40, 60), stack.tail()
    stack.kill_worker()  # the whole process group: main process and pool processes
    time.sleep(1)  # the sink notices the hang-ups
    unrecorded = {message_id_header(pk, key) for pk, key, sent in stack.rows(ids) if not sent}
    in_flight = len(unrecorded & stack.sink.distinct())  # accepted, not yet recorded as sent
    # Each pool process: at most OUTBOX_MARK_EVERY accepted and unrecorded, plus one mid-send.
    assert in_flight <= (settings.OUTBOX_MARK_EVERY + 1) * PROCESSES
    stack.start_worker()
    figures = _outcome(stack, f"worker SIGKILL mid-batch ({in_flight} in flight)", ids)
    _assert_clean(figures, stack, duplicates_allowed=in_flight)


@pytest.mark.parametrize("fault_stack", [{"own_postgres": True}], indirect=True)
def test_postgresql_restarted(fault_stack):
    stack = fault_stack
    assert stack.own_postgres is not None
    stack.sink.delay = 0.03
    poller = Poller(stack.start_web())
    poller.start()
    try:
        ids = stack.write(250, prefix="pg")
        assert wait_until(lambda: len(stack.sink.messages) >= 20, 60), stack.tail()
        assert wait_until(lambda: poller.count("before")[200] >= 10, 30), poller.count()
        poller.phase = "during"
        stack.own_postgres.stop()  # fast shutdown: every connection is cut
        time.sleep(POSTGRES_OUTAGE)
        stack.own_postgres.start()
        poller.phase = "after"
        # The web answers 200 again: a persistent connection the restart cut fails its request
        # (503) and is closed at its end; the next request opens a new one.
        wait_until(lambda: poller.count("after")[200] >= 20, 60)
    finally:
        poller.stop()
    statuses = poller.count()
    retry_after = {r for _p, s, r in poller.answers if s == 503}
    others = {s: n for s, n in sorted(statuses.items()) if s not in (0, 200, 500, 503)}
    report(
        "faults",
        f"PostgreSQL restarted: web answered {statuses[200]} x 200, {statuses[503]} x 503"
        f" (Retry-After {', '.join(sorted(r or 'missing' for r in retry_after)) or '-'}),"
        f" {statuses[500]} x 500, {statuses[0]} without an answer"
        + "".join(f", {n} x {s}" for s, n in others.items()),
    )
    figures = _outcome(stack, f"PostgreSQL restarted (down {POSTGRES_OUTAGE} s)", ids)
    _assert_clean(figures, stack)
    logs = stack.tail()
    assert statuses[500] == 0, logs
    assert statuses[0] == 0, (poller.errors[:5], logs)
    assert set(statuses) <= {200, 503}, (statuses, logs)
    assert poller.count("during")[503] >= 1, (poller.count("during"), logs)
    assert retry_after == {"30"}, retry_after
    assert poller.count("after")[200] >= 20, (poller.count("after"), logs)
    assert stack.web_alive, logs
