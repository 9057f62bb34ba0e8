"""Start the portal's processes together, restart one that dies, stop them together (`make run`,
`make prod`).

A small supervisor of our own rather than honcho or supervisord: honcho stops every process when
one exits (what this module did before), and supervisord is a daemon with its own configuration
file, control socket and log files, where `make prod` wants one foreground command that Ctrl-C
stops. What is needed fits here: restart with backoff, one log line per event, a clean stop.

A process that exits while nobody asked it to (a worker killed by the kernel's OOM killer, beat
crashing on a bad schedule file, gunicorn's master killed) is started again after a delay that
doubles with each exit in a row (1 s, 2 s, 4 s ... up to 30 s) and starts from 1 s again once the
process stayed up a minute. One that keeps crashing is retried at the capped delay for as long as
it takes, each time in the log. A process is started again only after the old one was reaped, so
there is never a second beat sending the same schedule twice. Ctrl-C or SIGTERM stops every
process (SIGTERM, then SIGKILL after the grace period) and nothing is restarted from then on."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

# The worker leaves out Celery's gossip, mingle and heartbeat: the portal uses none of them, and
# they are the steps that broke on a Redis connection closed under them (see the fault suite).
WORKER_FLAGS = ["--without-gossip", "--without-mingle", "--without-heartbeat"]


def celery(*args: str) -> list[str]:
    """A Celery command line for the portal's app, with this interpreter."""
    return [sys.executable, "-m", "celery", "-A", "portal", *args]


@dataclass(frozen=True)
class Backoff:
    """The wait before a process that exited is started again: `first` seconds after its first
    exit in a row, doubling with each further one up to `cap`. A process that stayed up `settle`
    seconds before exiting starts from `first` again."""

    first: float = 1.0
    cap: float = 30.0
    settle: float = 60.0

    def delay(self, exits_in_a_row: int) -> float:
        return min(self.first * 2 ** max(exits_in_a_row - 1, 0), self.cap)

    def describe(self) -> str:
        return (
            f"after {_seconds(self.first)} doubling to {_seconds(self.cap)}, from"
            f" {_seconds(self.first)} again once up {_seconds(self.settle)}"
        )


def _seconds(value: float) -> str:
    return f"{value:g} s"


def exit_reason(returncode: int) -> str:
    """ "exited with code 3" or "was killed by SIGKILL" (Popen's negative return codes)."""
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0  # since the supervisor started
    exits_in_a_row: int = 0  # exits without staying up `Backoff.settle` between them
    restart_at: float | None = None  # set while it waits for its restart

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


@dataclass
class Supervisor:
    """Runs `commands` (name -> argv) and keeps them running: call `start()`, then `check()`
    every fraction of a second, then `stop()`."""

    commands: Mapping[str, list[str]]
    env: Mapping[str, str]
    cwd: Path | str
    backoff: Backoff = field(default_factory=Backoff)
    stop_grace_seconds: float = 25
    children: dict[str, Child] = field(init=False)
    stopping: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.children = {name: Child(name, list(cmd)) for name, cmd in self.commands.items()}

    def start(self) -> None:
        logger.info(
            "supervisor: starting %s; a process that exits is restarted (%s)",
            ", ".join(self.children),
            self.backoff.describe(),
        )
        for child in self.children.values():
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        child.restart_at = None
        child.started_at = time.monotonic()
        try:
            child.process = subprocess.Popen(child.command, env=dict(self.env), cwd=self.cwd)
        except OSError as exc:  # the program is missing or not executable: try again later
            child.process = None
            self._schedule_restart(child, f"could not start ({exc})", uptime=0.0)
            return
        if child.restarts:
            logger.warning(
                "supervisor: %s restarted as pid %s (restart %s)",
                child.name,
                child.pid,
                child.restarts,
            )
        else:
            logger.info("supervisor: %s started as pid %s", child.name, child.pid)

    def _schedule_restart(self, child: Child, reason: str, *, uptime: float) -> None:
        if uptime >= self.backoff.settle:
            child.exits_in_a_row = 0
        child.exits_in_a_row += 1
        child.restarts += 1
        delay = self.backoff.delay(child.exits_in_a_row)
        child.restart_at = time.monotonic() + delay
        capped = ""
        if delay >= self.backoff.cap:
            capped = (
                f"; it exited {child.exits_in_a_row} times in a row: retrying every"
                f" {_seconds(self.backoff.cap)} until it stays up {_seconds(self.backoff.settle)}"
            )
        logger.warning(
            "supervisor: %s %s; restart %s in %s%s",
            child.name,
            reason,
            child.restarts,
            _seconds(delay),
            capped,
        )

    def check(self) -> None:
        """Reap the processes that exited and schedule their restart; start those whose wait is
        over. Does nothing once stopping."""
        if self.stopping:
            return
        now = time.monotonic()
        for child in self.children.values():
            if self.stopping:  # Ctrl-C arrived meanwhile
                return
            if child.process is not None and child.process.poll() is not None:
                pid, returncode = child.process.pid, child.process.returncode
                child.process = None
                uptime = now - child.started_at
                reason = f"(pid {pid}) {exit_reason(returncode)} after {uptime:.1f} s up"
                self._schedule_restart(child, reason, uptime=uptime)
            elif child.process is None and child.restart_at is not None and now >= child.restart_at:
                self._spawn(child)

    def stop(self) -> None:
        """SIGTERM every running process, SIGKILL whatever still runs after the grace period."""
        self.stopping = True
        running = [c for c in self.children.values() if c.process and c.process.poll() is None]
        if running:
            logger.info("supervisor: stopping %s", ", ".join(c.name for c in running))
        for child in running:
            assert child.process is not None
            child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_grace_seconds
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning(
                    "supervisor: %s did not stop within %s: killing it",
                    child.name,
                    _seconds(self.stop_grace_seconds),
                )
                child.process.kill()
                child.process.wait()


def run_together(
    commands: dict[str, list[str]],
    *,
    env: dict[str, str],
    cwd: Path | str,
    stop_grace_seconds: float = 25,
    backoff: Backoff | None = None,
) -> None:
    """Run every command until Ctrl-C or SIGTERM, restarting any that exits (module docstring);
    then stop them all."""
    supervisor = Supervisor(
        commands,
        env=env,
        cwd=cwd,
        backoff=backoff or Backoff(),
        stop_grace_seconds=stop_grace_seconds,
    )

    def stop(*_args: object) -> None:
        supervisor.stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        supervisor.start()
        while not supervisor.stopping:
            supervisor.check()
            time.sleep(0.2)
    finally:
        supervisor.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
