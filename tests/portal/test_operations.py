"""portal/operations.py: the figures /readyz, /metrics and the operations page all read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from portal.models import Heartbeat, OutboxMessage
from portal.operations import (
    BEAT,
    WORKER,
    ServerErrorCountMiddleware,
    delegated_sessions_active,
    failed_emails,
    heartbeat_age,
    heartbeats,
    note_delegated_session,
    outbox_backlog,
    read_all,
    recent_server_errors,
    record_heartbeat,
)
from portal.tasks import ops_heartbeat
from tests.factories import OrganizationFactory
from verification.deadlines import ESCALATION_BUSINESS_DAYS, add_business_days
from verification.models import VerificationCase
from verification.selectors import case_sla, cases_past_sla_count

pytestmark = pytest.mark.django_db


def test_a_heartbeat_is_one_row_per_process_kind_updated_in_place():
    first = timezone.now() - timedelta(minutes=5)
    record_heartbeat(WORKER, now=first)
    record_heartbeat(WORKER)
    record_heartbeat(BEAT, now=first)
    assert Heartbeat.objects.count() == 2
    seen = heartbeats()
    now = timezone.now()
    assert heartbeat_age(seen, WORKER, now) < 5
    assert 299 < heartbeat_age(seen, BEAT, now) < 305
    assert heartbeat_age(seen, "nobody", now) is None


def test_the_worker_beats_when_it_runs_the_heartbeat_task():
    ops_heartbeat.delay()  # eager in unit tests: the task runs here
    assert heartbeat_age(heartbeats(), WORKER, timezone.now()) < 5


def test_beat_records_its_heartbeat_when_it_ticks(tmp_path, monkeypatch):
    from portal import celery
    from portal.celery import HeartbeatScheduler, app

    # Beat closes its connection after each write; the test's transaction must stay open.
    monkeypatch.setattr(celery, "close_old_connections", lambda: None)

    scheduler = HeartbeatScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    scheduler.setup_schedule()
    try:
        wait = scheduler.tick()
    finally:
        scheduler.close()
    assert heartbeat_age(heartbeats(), BEAT, timezone.now()) < 5
    # It wakes up in time for the next heartbeat even when no task is due for a minute.
    assert wait <= 15


def _email(key: str, **fields) -> OutboxMessage:
    return OutboxMessage.objects.create(
        idempotency_key=key, to_email=f"{key}@example.com", subject=key, template="t", **fields
    )


def test_the_backlog_counts_unsent_emails_and_the_age_of_the_oldest():
    now = timezone.now()
    assert outbox_backlog(now=now).waiting == 0
    assert outbox_backlog(now=now).oldest_age_seconds == 0
    _email("sent", status=OutboxMessage.Status.SENT, sent_at=now, created_at=now - timedelta(1))
    _email("old", created_at=now - timedelta(minutes=20))
    _email("failing", created_at=now - timedelta(minutes=3), attempts=2, last_error="550 refused")
    _email("sending", status=OutboxMessage.Status.SENDING, created_at=now)
    backlog = outbox_backlog(now=now)
    assert backlog.waiting == 3
    assert backlog.failing == 1
    assert backlog.oldest_age_seconds == pytest.approx(20 * 60)
    assert backlog.overdue_seconds < 5  # all due just now
    assert [m.idempotency_key for m in failed_emails()] == ["failing"]


def test_every_answer_with_a_server_error_is_counted_across_the_window(settings):
    request = RequestFactory().get("/")
    for status in (200, 404, 500, 503):
        ServerErrorCountMiddleware(lambda r, s=status: HttpResponse(status=s))(request)
    assert recent_server_errors() == 2
    # Minutes out of the window no longer count.
    assert recent_server_errors(at=timezone.now().timestamp() + 20 * 60) == 0


def test_a_delegated_session_counts_until_it_is_left_or_sits_idle():
    idle = 60 * 60
    note_delegated_session("1:10", seen=timezone.now().timestamp(), idle_seconds=idle)
    note_delegated_session("2:10", seen=timezone.now().timestamp(), idle_seconds=idle)
    note_delegated_session("3:11", seen=timezone.now().timestamp() - idle - 1, idle_seconds=idle)
    assert delegated_sessions_active(idle_seconds=idle) == 2
    note_delegated_session("1:10", seen=None, idle_seconds=idle)
    assert delegated_sessions_active(idle_seconds=idle) == 1


@pytest.mark.parametrize("weekday", range(7))
def test_cases_past_their_deadline_are_the_ones_the_queue_calls_over(weekday):
    """The gauge and the queue's SLA column apply one rule, on every day of the week and on
    either side of the deadline."""
    now = datetime(2026, 11, 2, 10, 0, tzinfo=UTC) + timedelta(days=weekday)  # a Monday + n
    cases = []
    for hours in range(0, 24 * 6, 7):
        org = OrganizationFactory()
        cases.append(
            VerificationCase.objects.create(
                organization=org,
                status=VerificationCase.Status.IN_REVIEW,
                waiting_since=now - timedelta(hours=hours),
            )
        )
    over = [case for case in cases if case_sla(case, now) == "over"]
    assert over, "the grid reaches past the deadline"
    assert cases_past_sla_count(now=now) == len(over)
    # Exactly at the deadline: not over yet, one second later: over.
    deadline_case = cases[3]
    at = add_business_days(deadline_case.waiting_since, ESCALATION_BUSINESS_DAYS)
    assert case_sla(deadline_case, at) != "over"
    assert cases_past_sla_count(now=at) == sum(case_sla(c, at) == "over" for c in cases)


def test_the_feature_readings_are_registered_and_read():
    values = read_all()
    assert values["verification_cases_past_sla"] == 0
    assert values["bulk_invitation_batches_sending"] == 0
