"""`make prod` heals (issue 22): its worker's main process is SIGKILLed while it sends emails.
gunicorn keeps answering every probe, the supervisor says in the log that it restarts the worker,
a new worker is ready within 30 s, and every email reaches the SMTP sink (lost 0).

The processes are `manage.py runprod`'s (the command deploy/prod.sh runs): gunicorn, a Celery
worker and Celery beat under devtools/processes.py's supervisor, with the production settings over
loopback HTTP (tests/faults/conftest.py `Stack.start_runprod`). Only the worker's main process is
killed, as the kernel's OOM killer would; its pool processes die with it (Celery asks the kernel to
SIGKILL them when their parent dies). Rows the dead pool processes had claimed go out again once
their claim is stale (OUTBOX_CLAIM_TIMEOUT_SECONDS, 8 s here) through beat's sweep: a message the
SMTP server accepted but the dead worker had not yet recorded can arrive twice, with the same
Message-ID (portal/outbox.py); the test bounds those by the ones in flight at the kill."""

from __future__ import annotations

import os
import re
import signal
import time

import psutil
import pytest
from django.conf import settings

from portal.outbox import message_id_header
from tests.faults.conftest import Poller, Stack, wait_until
from tests.figures import report

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EMAILS = 200
WORKER_BACK_WITHIN = 30  # seconds (issue 22's acceptance)
POOL = 2  # runprod's worker processes (WORKER_CONCURRENCY, set by Stack.start_runprod)


def _pid(stack: Stack, pattern: str) -> int | None:
    found = re.findall(pattern, stack.runprod_log.read_text())
    return int(found[-1]) if found else None


def _celery_worker(pid: int | None, runprod: psutil.Process) -> bool:
    """`pid` is a Celery worker's main process started by runprod."""
    if pid is None:
        return False
    try:
        process = psutil.Process(pid)
        return process.ppid() == runprod.pid and "worker" in process.cmdline()
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize(
    "fault_stack", [{"runprod": True, "OUTBOX_CLAIM_TIMEOUT_SECONDS": "8"}], indirect=True
)
def test_make_prod_restarts_a_sigkilled_worker_while_gunicorn_serves_and_loses_no_email(
    fault_stack,
):
    stack = fault_stack
    stack.sink.delay = 0.05  # ~40 messages a second over two pool processes: ~5 s of sending
    port = stack.start_runprod()
    runprod = psutil.Process(stack.runprod.pid)
    web_pid = _pid(stack, r"supervisor: web started as pid (\d+)")
    beat_pid = _pid(stack, r"supervisor: beat started as pid (\d+)")
    worker_pid = _pid(stack, r"supervisor: worker started as pid (\d+)")
    assert _celery_worker(worker_pid, runprod), stack.tail()
    assert worker_pid is not None
    poller = Poller(port, paths=("/healthz", "/accounts/login/"), interval=0.1)
    poller.start()
    try:
        assert wait_until(lambda: poller.count("before")[200] >= 10, 30), poller.count()
        ids = stack.write(EMAILS, prefix="supervised")
        assert wait_until(lambda: len(stack.sink.messages) >= 40, 60), stack.tail()
        poller.phase = "outage"
        os.kill(worker_pid, signal.SIGKILL)
        killed = time.monotonic()
        time.sleep(1)  # the sink notices the hang-ups

        unrecorded = {message_id_header(pk, key) for pk, key, sent in stack.rows(ids) if not sent}
        in_flight = len(unrecorded & stack.sink.distinct())  # accepted, not recorded as sent

        def back() -> bool:
            new = _pid(stack, r"supervisor: worker restarted as pid (\d+)")
            return (
                _celery_worker(new, runprod) and stack.runprod_log.read_text().count("ready.") >= 2
            )

        assert wait_until(back, WORKER_BACK_WITHIN, step=0.1), stack.tail()
        back_after = time.monotonic() - killed
        poller.phase = "recovery"
        assert wait_until(lambda: stack.unsent(ids) == 0, 120, step=0.5), stack.tail()
        time.sleep(3)  # a late duplicate would show up here
    finally:
        poller.stop()

    log = stack.runprod_log.read_text()
    expected = {message_id_header(pk, key) for pk, key, _sent in stack.rows(ids)}
    got = stack.sink.distinct()
    delivered, lost, duplicates = len(expected & got), len(expected - got), stack.sink.duplicates
    statuses, outage = poller.count(), poller.count("outage")
    report(
        "faults",
        f"worker SIGKILL under make prod: worker back (ready) after {back_after:.1f} s;"
        f" web answered {outage[200]} x 200 of {outage.total()} probes while the worker was down"
        f" and {statuses.total()} probes in all, {statuses[0]} without an answer;"
        f" queued {len(ids)}, delivered {delivered}, duplicates {duplicates}"
        f" ({in_flight} in flight at the kill), lost {lost}",
    )
    tail = stack.tail()
    # gunicorn kept serving: every probe answered 200, none refused or dropped, and it is the
    # same gunicorn as before (the supervisor restarted only the worker).
    assert set(statuses) == {200}, (statuses, poller.errors[:5], tail)
    assert outage[200] >= 10, outage  # probed all along: the restart takes over a second
    assert _pid(stack, r"supervisor: web (?:re)?started as pid (\d+)") == web_pid
    assert _pid(stack, r"supervisor: beat (?:re)?started as pid (\d+)") == beat_pid
    assert runprod.is_running() and psutil.Process(web_pid).is_running()
    # The supervisor said what happened and what it does about it.
    assert re.search(
        rf"supervisor: worker \(pid {worker_pid}\) was killed by SIGKILL after [\d.]+ s up;"
        r" restart 1 in 1 s",
        log,
    ), tail
    assert "supervisor: worker restarted as pid" in log
    assert back_after < WORKER_BACK_WITHIN
    # Every email delivered; a second copy only of one accepted before the kill and unrecorded.
    assert stack.unsent(ids) == 0, tail
    assert lost == 0 and delivered == len(ids) == EMAILS, tail
    assert in_flight <= (settings.OUTBOX_MARK_EVERY + 1) * POOL
    assert duplicates <= in_flight, tail
