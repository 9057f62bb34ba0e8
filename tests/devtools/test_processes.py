"""`make run` and `make prod`'s supervisor (devtools/processes.py) on tiny stand-in processes: a
process that exits is restarted after a delay that doubles up to a cap and starts low again once
it stayed up; SIGTERM stops everything, kills what ignores it, and restarts nothing.
The real processes under a real fault: tests/faults/test_supervised.py."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.processes import Backoff, Supervisor

ROOT = Path(__file__).resolve().parents[2]
CRASH = [sys.executable, "-c", "import sys; sys.exit(3)"]
SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]
STUBBORN = [
    sys.executable,
    "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)",
]


@pytest.fixture
def supervisor_log(caplog):
    caplog.set_level(logging.INFO, logger="devtools.processes")
    return caplog


def run_until(supervisor: Supervisor, done, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        supervisor.check()
        time.sleep(0.02)


def lines(caplog, word: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if word in r.getMessage()]


def test_a_process_that_keeps_exiting_is_retried_with_doubling_delays_up_to_the_cap(
    supervisor_log,
):
    backoff = Backoff(first=0.1, cap=0.4, settle=30)
    supervisor = Supervisor({"crash": CRASH}, env=os.environ, cwd=ROOT, backoff=backoff)
    supervisor.start()
    try:
        run_until(supervisor, lambda: len(lines(supervisor_log, "restarted as")) >= 4, 15)
        run_until(supervisor, lambda: len(lines(supervisor_log, "exited with")) >= 5, 15)
    finally:
        supervisor.stop()
    exits = lines(supervisor_log, "exited with code 3")
    delays = [float(re.search(r"in ([\d.]+) s", r.getMessage())[1]) for r in exits]
    assert delays[:5] == [0.1, 0.2, 0.4, 0.4, 0.4], [r.getMessage() for r in exits]
    assert "restart 1 in 0.1 s" in exits[0].getMessage()
    assert "it exited 4 times in a row: retrying every 0.4 s" in exits[3].getMessage()
    restarts = lines(supervisor_log, "restarted as pid")
    assert len(restarts) >= 4
    for exited, restarted, delay in zip(exits, restarts, delays, strict=False):
        assert restarted.created - exited.created >= delay - 0.05  # never sooner than announced
        assert exited.levelno == restarted.levelno == logging.WARNING


def test_a_killed_process_is_named_by_its_signal_and_its_backoff_resets_once_it_stayed_up(
    supervisor_log,
):
    backoff = Backoff(first=0.2, cap=5, settle=1)
    supervisor = Supervisor({"worker": SLEEP}, env=os.environ, cwd=ROOT, backoff=backoff)
    supervisor.start()

    def kill_and_wait_for_restart() -> str:
        child = supervisor.children["worker"]
        assert child.process is not None
        old = child.pid
        child.process.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while child.process is None or child.pid == old:
            assert time.monotonic() < deadline, "not restarted"
            supervisor.check()
            time.sleep(0.02)
        return lines(supervisor_log, "was killed by SIGKILL")[-1].getMessage()

    try:
        first = kill_and_wait_for_restart()
        second = kill_and_wait_for_restart()  # at once: a second exit in a row
        time.sleep(1.2)  # up longer than `settle`
        third = kill_and_wait_for_restart()
    finally:
        supervisor.stop()
    assert re.fullmatch(
        r"supervisor: worker \(pid \d+\) was killed by SIGKILL after [\d.]+ s up; restart 1 in"
        r" 0.2 s",
        first,
    )
    assert second.endswith("restart 2 in 0.4 s")
    assert third.endswith("restart 3 in 0.2 s")


def test_sigterm_stops_every_process_kills_a_stubborn_one_and_restarts_none(tmp_path):
    script = (
        "import logging, os, sys\n"
        "from devtools.processes import Backoff, run_together\n"
        "logging.basicConfig(level=logging.INFO, format='%(message)s', stream=sys.stdout)\n"
        "run_together(\n"
        f"    {{'sleeper': {SLEEP!r}, 'stubborn': {STUBBORN!r}, 'crash': {CRASH!r}}},\n"
        "    env=dict(os.environ), cwd='.', stop_grace_seconds=1,\n"
        "    backoff=Backoff(first=0.1, cap=0.2, settle=30),\n"
        ")\n"
        "print('returned')\n"
    )
    log = tmp_path / "supervisor.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", script], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 20
        while log.read_text().count("crash restarted as pid") < 3:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        proc.wait(timeout=10)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert proc.returncode == 0 and text.endswith("returned\n"), text
    assert 1 <= took < 4, (took, text)  # the grace period, then SIGKILL
    before, _sep, after = text.partition("supervisor: stopping")
    assert "sleeper" in after.splitlines()[0] and "stubborn" in after.splitlines()[0], text
    assert "stubborn did not stop within 1 s: killing it" in after
    assert "restarted" not in after and "restart " not in after, text
    pids = [int(pid) for pid in re.findall(r"(?:started|restarted) as pid (\d+)", before)]
    for pid in pids:  # every one of them reaped: none left running or as a zombie
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
