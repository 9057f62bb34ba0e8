"""A real stack for integration tests: a Celery worker process on Redis, an aiosmtpd sink on
loopback, and the test database shared with the worker."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from kombu import pools as kombu_pools

from portal.celery import app as celery_app
from tests.tools import need

ROOT = Path(__file__).resolve().parents[2]
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/14"


def _redis_up() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _needs_redis():
    need(
        "Redis on 127.0.0.1:6379",
        _redis_up(),
        'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
    )


def use_broker(url: str | None) -> None:
    """Point this process's Celery app at `url` and drop cached connections. Celery prefers the
    CELERY_BROKER_URL environment variable over its configuration, so both are set."""
    if url is None:
        os.environ.pop("CELERY_BROKER_URL", None)
    else:
        os.environ["CELERY_BROKER_URL"] = url
        celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def message_id(data: str) -> str:
    """The Message-ID header of a raw message ("" if it has none)."""
    header = BytesParser(policy=policy.compat32).parsebytes(data.encode(), headersonly=True)
    return str(header.get("Message-ID", "")).strip()


class SinkHandler:
    """Collects messages; while `refusing` it answers every DATA with a temporary failure.
    With `hold_seconds` it waits before answering and drops the message if the client hung up
    meanwhile (a worker killed mid-send): like a server that never said 250, it keeps nothing."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.refusing = False
        self.hold_seconds = 0.0
        self.held: list[dict] = []
        self.dropped: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        if self.refusing:
            return "451 4.3.0 Mailbox temporarily unavailable"
        if self.hold_seconds:
            self.held.append({"to": envelope.rcpt_tos})
            try:
                await asyncio.sleep(self.hold_seconds)
            except asyncio.CancelledError:  # aiosmtpd cancels us when the client hangs up
                self.dropped.append({"to": envelope.rcpt_tos, "data": envelope.content.decode()})
                raise
            if server.transport is None or server.transport.is_closing():
                self.dropped.append({"to": envelope.rcpt_tos, "data": envelope.content.decode()})
                return "451 4.3.0 Client went away"
        data = envelope.content.decode()
        self.messages.append({"to": envelope.rcpt_tos, "data": data, "id": message_id(data)})
        return "250 OK"

    @property
    def duplicates(self) -> int:
        """Messages received more than once (same Message-ID): the copies beyond the first."""
        return len(self.messages) - len({m["id"] for m in self.messages})

    def distinct_ids(self) -> set[str]:
        return {m["id"] for m in self.messages}

    def wait_for(self, count: int, timeout: float = 45.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.2)
        return self.messages


@pytest.fixture
def smtp_sink():
    handler = SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = quote(s.get("USER") or "")
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    host = f"{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}"
    return f"postgres://{user}{password}@{host}/{s['NAME']}"


@pytest.fixture
def celery_stack(request, transactional_db, smtp_sink, tmp_path):
    """Point this process's Celery app at Redis and start a real worker on a private queue.

    Optional: parametrize indirectly with a dict of extra worker environment variables. The
    yielded handler has `kill_worker()` (SIGKILL) and `start_worker()` for fault tests."""
    controller, handler = smtp_sink
    extra_env = getattr(request, "param", None) or {}
    queue = f"it-{uuid.uuid4().hex[:10]}"
    saved = {
        k: celery_app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")
    }
    saved_env = os.environ.get("CELERY_BROKER_URL")
    celery_app.conf.update(task_always_eager=False, task_default_queue=queue)
    use_broker(REDIS_URL)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_URL": f"smtp://127.0.0.1:{controller.port}",
        "OUTBOX_RETRY_BASE_SECONDS": "1",
        "OUTBOX_RETRY_MAX_SECONDS": "2",
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    workers: list[subprocess.Popen] = []

    def start_worker() -> None:
        log = tmp_path / f"worker-{len(workers)}.log"
        with open(log, "w") as out:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "--pool=solo",
                    "-Q",
                    queue,
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"{queue}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text():
            if worker.poll() is not None or time.monotonic() > deadline:
                worker.kill()
                pytest.fail(f"Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        workers.append(worker)

    def kill_worker() -> None:
        workers[-1].kill()
        workers[-1].wait(timeout=15)

    handler.start_worker, handler.kill_worker = start_worker, kill_worker
    start_worker()
    try:
        yield handler
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
        celery_app.conf.update(saved)
        use_broker(saved_env)
