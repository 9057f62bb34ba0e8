"""Start the portal's processes together and stop them together (`make run`, `make prod`)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

# The worker leaves out Celery's gossip, mingle and heartbeat: the portal uses none of them, and
# they are the steps that broke on a Redis connection closed under them (see the fault suite).
WORKER_FLAGS = ["--without-gossip", "--without-mingle", "--without-heartbeat"]


def celery(*args: str) -> list[str]:
    """A Celery command line for the portal's app, with this interpreter."""
    return [sys.executable, "-m", "celery", "-A", "portal", *args]


def run_together(
    commands: dict[str, list[str]],
    *,
    env: dict[str, str],
    cwd: Path | str,
    say: Callable[[str], None],
    stop_grace_seconds: float = 25,
) -> None:
    """Run every command until Ctrl-C, SIGTERM or the first one to exit; then SIGTERM the rest,
    and SIGKILL whatever is still running after the grace period."""
    procs = {name: subprocess.Popen(cmd, env=env, cwd=cwd) for name, cmd in commands.items()}
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    say(f"{name} exited with {proc.returncode}; stopping.")
                    stopping = True
            time.sleep(0.5)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + stop_grace_seconds
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
