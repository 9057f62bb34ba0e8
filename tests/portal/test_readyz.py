"""/readyz: which part of the stack cannot do its work, named in the answer.

The checks run in threads of their own, each opening its own database connection in production;
here the threads borrow the test's connection (as Django's live server thread does), so they see
the test's rows without the cost of a transactional test. tests/faults/test_readiness.py runs
them on their own connections under gunicorn."""

from __future__ import annotations

import json
import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from celery import current_app
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from portal import readiness
from portal.models import OutboxMessage
from portal.operations import BEAT, WORKER, record_heartbeat

pytestmark = pytest.mark.django_db


def _lend(monkeypatch, connection) -> None:
    """The checks' threads use `connection` (shared with this thread) instead of their own."""
    connection.inc_thread_sharing()
    pool = ThreadPoolExecutor(
        max_workers=len(readiness.GROUPS),
        initializer=lambda: connections.__setitem__("default", connection),
    )
    monkeypatch.setattr(readiness, "_pool", pool)
    monkeypatch.setattr(readiness, "_running", {})


@pytest.fixture(autouse=True)
def checks_share_the_test_connection(monkeypatch):
    connection = connections["default"]
    _lend(monkeypatch, connection)
    yield
    readiness._pool.shutdown(wait=True)
    connection.dec_thread_sharing()


@pytest.fixture
def beating():
    """A worker and beat that beat just now."""
    record_heartbeat(WORKER)
    record_heartbeat(BEAT)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket goes


def _ready(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return response.status_code, json.loads(response.content)


def test_ready_when_every_check_passes(client, beating):
    status, body = _ready(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert body["failed"] == []
    assert set(body["checks"]) == {"database", "cache", "broker", "worker", "beat", "outbox"}
    assert all(check == {"ok": True} for check in body["checks"].values())


def test_a_stale_worker_heartbeat_is_named(client, beating):
    record_heartbeat(WORKER, now=timezone.now() - timedelta(seconds=120))
    status, body = _ready(client)
    assert status == 503
    assert body["status"] == "failing"
    assert body["failed"] == ["worker"]
    assert body["checks"]["worker"]["reason"].startswith("last heartbeat 12")
    assert body["checks"]["beat"] == {"ok": True}


def test_a_beat_that_never_beat_is_named(client):
    record_heartbeat(WORKER)
    status, body = _ready(client)
    assert status == 503
    assert body["failed"] == ["beat"]
    assert body["checks"]["beat"]["reason"] == "no heartbeat yet"


def test_an_email_overdue_for_a_worker_is_named_and_one_waiting_to_retry_is_not(
    client, beating, settings
):
    settings.PORTAL_READY_MAX_OUTBOX_AGE_SECONDS = 900
    now = timezone.now()
    due_soon = OutboxMessage.objects.create(
        idempotency_key="readyz-1",
        to_email="someone@example.com",
        template="t",
        subject="s",
        body_text="b",
        created_at=now - timedelta(minutes=5),
        next_attempt_at=now - timedelta(minutes=5),
    )
    # A recipient's server said "try again later" two hours ago: the retry is an hour away.
    OutboxMessage.objects.create(
        idempotency_key="readyz-retry",
        to_email="later@example.com",
        template="t",
        subject="s",
        body_text="b",
        attempts=4,
        last_error="450 try again later",
        created_at=now - timedelta(hours=2),
        next_attempt_at=now + timedelta(hours=1),
    )
    assert _ready(client)[0] == 200

    # Due for twenty minutes and no worker picked it up.
    OutboxMessage.objects.filter(pk=due_soon.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=20)
    )
    status, body = _ready(client)
    assert status == 503
    assert body["failed"] == ["outbox"]
    reason = body["checks"]["outbox"]["reason"]
    assert "an email has waited 1200 s for a worker (limit 900 s)" in reason

    # Claimed by a worker that never finished it: overdue since the claim.
    OutboxMessage.objects.filter(pk=due_soon.pk).update(
        status=OutboxMessage.Status.SENDING, claimed_at=timezone.now() - timedelta(minutes=30)
    )
    assert "1800 s" in _ready(client)[1]["checks"]["outbox"]["reason"]

    # Sent: no longer waiting.
    OutboxMessage.objects.filter(pk=due_soon.pk).update(
        status=OutboxMessage.Status.SENT, sent_at=timezone.now()
    )
    assert _ready(client)[0] == 200


def test_redis_down_is_named_although_the_cache_still_answers_from_memory(
    client, beating, settings
):
    """The resilient cache (portal/cache.py) keeps the site working while Redis is down, from an
    in-process copy; readiness must still say Redis is gone."""
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.CACHES = {"default": {"BACKEND": "portal.cache.ResilientRedisCache", "LOCATION": url}}
    cache.set("still", "works")
    assert cache.get("still") == "works"  # the fallback answers

    status, body = _ready(client)
    assert status == 503
    assert body["failed"] == ["cache"]
    reason = body["checks"]["cache"]["reason"]
    assert reason.startswith("unreachable")
    assert "127.0.0.1" not in reason and "redis://" not in reason


@pytest.fixture
def broker_on_a_closed_port(monkeypatch):
    """The check opens a connection of its own from the app's broker URL. Kombu's shared pools
    are left alone: closing them would break every later test that queues a task. Celery reads
    CELERY_BROKER_URL from the environment before its configuration (CI sets it)."""
    unreachable = f"redis://127.0.0.1:{_closed_port()}/0"
    saved = current_app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    current_app.conf.broker_url = unreachable
    yield
    current_app.conf.broker_url = saved


def test_an_unreachable_broker_is_named_within_the_deadline(
    client, beating, broker_on_a_closed_port
):
    started = time.monotonic()
    status, body = _ready(client)
    took = time.monotonic() - started
    assert status == 503
    assert body["failed"] == ["broker"]
    assert body["checks"]["broker"]["reason"].startswith("unreachable")
    assert took < 6


def test_a_database_that_does_not_answer_is_named(client, beating, monkeypatch):
    """A database that refuses connections: the rows the other checks read are not known."""
    broken = {**connections["default"].settings_dict, "NAME": "/nonexistent/dir/db.sqlite3"}
    if connections["default"].vendor == "postgresql":
        broken.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    _lend(monkeypatch, connections["default"].__class__(broken, alias="default"))
    status, body = _ready(client)
    assert status == 503
    assert body["failed"] == ["database", "worker", "beat", "outbox"]
    assert body["checks"]["database"]["reason"].startswith("unreachable (")
    assert body["checks"]["worker"]["reason"] == "not checked (no database)"
    assert body["checks"]["cache"] == body["checks"]["broker"] == {"ok": True}


def test_readiness_is_answered_before_host_checks_https_and_sessions(client, settings, beating):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    response = client.get("/readyz", HTTP_HOST="172.18.0.5:8000")
    assert response.status_code == 200
    assert not response.cookies
    assert "Vary" not in response


def test_readiness_only_reads(client):
    for method in (client.post, client.put, client.delete):
        response = method("/readyz")
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD"
    assert client.head("/readyz").status_code == 503  # nothing beat yet


def test_a_change_to_failing_is_logged_once_not_on_every_probe(client, beating, caplog):
    assert _ready(client)[0] == 200
    caplog.clear()
    record_heartbeat(WORKER, now=timezone.now() - timedelta(seconds=300))
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            assert _ready(client)[0] == 503
        record_heartbeat(WORKER)
        assert _ready(client)[0] == 200
    # Nor Django's "Service Unavailable" error line on each 503.
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [
        ("WARNING", "readiness: failing: worker (last heartbeat 300 s ago (limit 60 s))"),
        ("WARNING", "readiness: ok again"),
    ]
