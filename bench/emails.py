"""Benchmark: emails through the outbox and a real Celery worker against a plain smtplib loop.

    DATABASE_URL=postgres://... .venv/bin/python bench/emails.py [--count 5000]

Both send the same messages into the same aiosmtpd sink on loopback. The smtplib loop opens one
connection and sends every message on it: the ceiling. The outbox run writes the rows with
`outbox_write` in one transaction (a bulk job: one drain is queued at the commit) and a worker
(prefork, 2 processes, the production pool) on a private redis-server (or `broker_url`) sends
them; its time runs from the commit until the last row is recorded as sent (the time to write
the rows is printed too). The
database must be migrated (the test database, or `manage.py migrate` on DATABASE_URL); the rows
written are deleted afterwards. `measure_email(count)` returns the figures as a dict, for
`bench/run`."""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait(check: Any, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return bool(check())


class _Sink:
    """Counts the messages an aiosmtpd server accepted (in a process of its own, as a real SMTP
    server is: it shares no interpreter lock with the benchmark)."""

    def __init__(self, counter: Any) -> None:
        self.counter = counter

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 OK"


def _serve_sink(port: int, counter: Any) -> None:
    from aiosmtpd.controller import Controller

    logging.disable(logging.CRITICAL)  # aiosmtpd logs every command
    controller = Controller(_Sink(counter), hostname="127.0.0.1", port=port)
    controller.start()
    while True:
        time.sleep(3600)


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = quote(s.get("USER") or "")
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    host = f"{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}"
    return f"postgres://{user}{password}@{host}/{s['NAME']}"


def _forget_connections(app: Any, kombu_pools: Any) -> None:
    """Drop cached broker connections so the next publish uses the current broker_url."""
    app._pool = None
    app.amqp._producer_pool = None
    kombu_pools.reset()


def _smtplib_loop(port: int, messages: list[tuple[str, str, bytes]]) -> float:
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for sender, to, data in messages:
            smtp.sendmail(sender, [to], data)
    return time.perf_counter() - start


def measure_email(count: int = 5000, *, broker_url: str | None = None) -> dict[str, Any]:
    """Figures for `count` emails: smtplib loop seconds, outbox seconds and their ratio
    (smtplib / outbox: 1.0 means the outbox is as fast as the bare loop). Django must be set up
    on a migrated database."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction
    from kombu import pools as kombu_pools

    from portal.celery import app as celery_app
    from portal.models import OutboxMessage
    from portal.outbox import _email, outbox_write

    prefix = f"bench-email-{uuid.uuid4().hex[:8]}"
    context = multiprocessing.get_context("spawn")
    received = context.Value("i", 0)
    sink_port = _free_port()
    sink = context.Process(target=_serve_sink, args=(sink_port, received), daemon=True)
    sink.start()
    assert _wait(lambda: _listening(sink_port), 30), "the SMTP sink did not start"
    tmp = Path(tempfile.mkdtemp(prefix="bench-email-"))
    redis: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    saved = {
        k: celery_app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")
    }
    saved_env = os.environ.get("CELERY_BROKER_URL")
    try:
        # The same messages for both runs.
        rows = [
            OutboxMessage(
                pk=n + 1,
                idempotency_key=f"{prefix}-{n}",
                to_email=f"person{n}@northwind.example",
                subject=f"Your invitation {n} to the CSP Partner Portal",
                body_text=f"Hello {n},\n\nOpen https://portal.example/invite/{n}/ to accept.\n" * 4,
                body_html=f"<p>Hello {n},</p><p><a href='https://portal.example/i/{n}/'>Accept</a>",
            )
            for n in range(count)
        ]
        plain = [
            (settings.DEFAULT_FROM_EMAIL, row.to_email, _email(row).message().as_bytes())
            for row in rows
        ]
        smtplib_seconds = _smtplib_loop(sink_port, plain)
        assert _wait(lambda: received.value >= count, 30), "the sink did not get every message"

        # A broker of our own when redis-server is installed, so nothing else shares it.
        if broker_url is None and shutil.which("redis-server"):
            port = _free_port()
            redis = subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            broker_url = f"redis://127.0.0.1:{port}/0"
            assert _wait(lambda: _listening(port), 10), "redis-server did not start"
        broker_url = broker_url or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        log = tmp / "worker.log"
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "EMAIL_URL": f"smtp://127.0.0.1:{sink_port}",
            "PYTHONUNBUFFERED": "1",
        }
        with open(log, "w") as out:
            worker = subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "portal", "worker"),
                    *("--concurrency=2", "-Q", queue, "--loglevel=WARNING", "-n", f"{queue}@%h"),
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Ready when it answers a ping (its log level hides the "ready" line).
        os.environ["CELERY_BROKER_URL"] = broker_url
        celery_app.conf.update(
            broker_url=broker_url, task_always_eager=False, task_default_queue=queue
        )
        _forget_connections(celery_app, kombu_pools)
        assert _wait(
            lambda: bool(celery_app.control.ping(destination=[f"{queue}@{socket.gethostname()}"])),
            90,
            step=0.5,
        ), log.read_text()[-2000:]

        # Rows written in one transaction (as a bulk job would); the drain is queued when it
        # commits. Delivery time runs from the commit to the last row recorded as sent.
        before = received.value
        start = time.perf_counter()
        with transaction.atomic():
            for row in rows:
                outbox_write(
                    key=row.idempotency_key,
                    to=row.to_email,
                    template="bench",
                    context={},
                    language="en",
                    organization=None,
                    subject=row.subject,
                    text=row.body_text,
                    html=row.body_html,
                )
            committed = time.perf_counter()
        write_seconds = committed - start
        mine = OutboxMessage.objects.filter(idempotency_key__startswith=prefix)
        assert _wait(lambda: not mine.filter(sent_at__isnull=True).exists(), 600, step=0.1), (
            log.read_text()[-2000:]
        )
        outbox_seconds = time.perf_counter() - committed
        delivered = received.value - before
        mine.delete()
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)
        sink.terminate()
        sink.join(timeout=10)
        celery_app.conf.update(saved)
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        _forget_connections(celery_app, kombu_pools)
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "count": count,
        "smtplib_seconds": round(smtplib_seconds, 2),
        "outbox_seconds": round(outbox_seconds, 2),
        "outbox_write_seconds": round(write_seconds, 2),
        "end_to_end_ratio": round(smtplib_seconds / (outbox_seconds + write_seconds), 3),
        "delivered": delivered,
        "ratio": round(smtplib_seconds / outbox_seconds, 3),
        "batch_size": settings.OUTBOX_BATCH_SIZE,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = measure_email(args.count)
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"{figures['count']} emails: smtplib loop {figures['smtplib_seconds']} s, "
            f"outbox + worker {figures['outbox_seconds']} s from the commit, "
            f"ratio {figures['ratio']} (target >= 0.5); writing the rows took "
            f"{figures['outbox_write_seconds']} s (ratio with it {figures['end_to_end_ratio']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
