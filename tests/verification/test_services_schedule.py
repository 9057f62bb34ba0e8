"""The days-long schedule, with the clock moved by time-machine."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal.models import Notification, OutboxMessage
from tests.verification.factories import reviewer, submitted_reseller
from tests.verification.helpers import last_link_key, templates_sent
from verification.models import VerificationCase
from verification.services import (
    case_contact_confirm,
    case_open,
    case_request_info,
    verification_sweep_due,
)
from verification.tasks import verification_sweep

Status = VerificationCase.Status
pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _open_on(when):
    partner = submitted_reseller()
    with time_machine.travel(when, tick=False):
        case = case_open(organization=partner.organization, actor=partner.user)
    return case


def _sweep_at(when) -> int:
    with time_machine.travel(when, tick=False):
        return verification_sweep_due()


def test_nothing_happens_before_day_3(db):
    case = _open_on(MONDAY)
    assert _sweep_at(MONDAY + timedelta(days=2, hours=23)) == 0
    assert templates_sent(case) == ["verification_contact_confirm"]


def test_reminders_go_out_on_day_3_and_day_7_with_a_fresh_link(db):
    case = _open_on(MONDAY)
    first_key = last_link_key(case)
    assert _sweep_at(MONDAY + timedelta(days=3)) == 1
    second_key = last_link_key(case)
    assert second_key != first_key
    assert _sweep_at(MONDAY + timedelta(days=5)) == 0
    assert _sweep_at(MONDAY + timedelta(days=7)) == 1
    case.refresh_from_db()
    assert case.reminders_sent == 2
    assert case.next_action == VerificationCase.NextAction.EXPIRE
    assert templates_sent(case).count("verification_contact_reminder") == 2
    assert case.events.filter(type="reminded").count() == 2


def test_a_second_sweep_at_the_same_time_changes_nothing(db):
    case = _open_on(MONDAY)
    when = MONDAY + timedelta(days=3, minutes=1)
    assert _sweep_at(when) == 1
    events, emails = case.events.count(), OutboxMessage.objects.count()
    case.refresh_from_db()
    version = case.version
    assert _sweep_at(when) == 0
    case.refresh_from_db()
    assert (case.events.count(), OutboxMessage.objects.count(), case.version) == (
        events,
        emails,
        version,
    )


def test_case_expires_after_30_days_without_an_answer(db):
    case = _open_on(MONDAY)
    for day in (3, 7):
        _sweep_at(MONDAY + timedelta(days=day))
    assert _sweep_at(MONDAY + timedelta(days=29, hours=23)) == 0
    assert _sweep_at(MONDAY + timedelta(days=30)) == 1
    case.refresh_from_db()
    assert case.status == Status.EXPIRED
    assert case.next_action_at is None
    assert templates_sent(case)[-1] == "verification_expired"
    assert _sweep_at(MONDAY + timedelta(days=60)) == 0


def test_waiting_for_documents_is_reminded_and_expires_too(db, django_capture_on_commit_callbacks):
    case = _open_on(MONDAY)
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            case_contact_confirm(key=last_link_key(case))
        case_request_info(
            case=case, actor=reviewer().user, document_types=["proof_of_address"], message="Bill"
        )
    requested = MONDAY + timedelta(hours=1)
    assert _sweep_at(requested + timedelta(days=3)) == 1
    assert templates_sent(case)[-1] == "verification_info_reminder"
    _sweep_at(requested + timedelta(days=7))
    assert _sweep_at(requested + timedelta(days=30)) == 1
    case.refresh_from_db()
    assert case.status == Status.EXPIRED


def test_escalation_after_two_business_days_in_review_skips_the_weekend(
    db, django_capture_on_commit_callbacks
):
    thursday = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    admin = reviewer()
    case = _open_on(thursday - timedelta(hours=1))
    with (
        time_machine.travel(thursday, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        case_contact_confirm(key=last_link_key(case))
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    # Thursday + 2 business days = Monday 10:00; Saturday is not late.
    assert _sweep_at(thursday + timedelta(days=2)) == 0
    assert _sweep_at(datetime(2026, 3, 9, 9, 59, tzinfo=UTC)) == 0
    assert _sweep_at(datetime(2026, 3, 9, 10, 0, tzinfo=UTC)) == 1
    case.refresh_from_db()
    assert case.escalated_at is not None
    assert case.events.filter(type="escalated").count() == 1
    escalation = OutboxMessage.objects.get(template="verification_escalated")
    assert escalation.to_email == admin.user.email
    assert Notification.objects.filter(organization=admin.organization, link=f"/review/{case.pk}/")
    assert _sweep_at(datetime(2026, 3, 20, 10, 0, tzinfo=UTC)) == 0  # once per wait


def test_checks_lost_on_the_way_to_the_worker_are_run_by_the_sweep(db, monkeypatch):
    monkeypatch.setattr("verification.services.contact.case_checks_queue", lambda case_id: None)
    case = _open_on(MONDAY)
    with time_machine.travel(MONDAY + timedelta(minutes=5), tick=False):
        case_contact_confirm(key=last_link_key(case))
    case.refresh_from_db()
    assert case.status == Status.CHECKING
    assert _sweep_at(MONDAY + timedelta(minutes=6)) == 0
    assert _sweep_at(MONDAY + timedelta(minutes=8)) == 1
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW


def test_the_beat_task_runs_the_sweep(db):
    case = _open_on(MONDAY)
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        assert verification_sweep.delay().get() == 1
    case.refresh_from_db()
    assert case.reminders_sent == 1


def test_decided_cases_are_never_swept(db, django_capture_on_commit_callbacks):
    partner = submitted_reseller()
    case = case_open(organization=partner.organization, actor=partner.user)
    with django_capture_on_commit_callbacks(execute=True):
        case_contact_confirm(key=last_link_key(case))
    from verification.services import case_approve

    case_approve(case=case, actor=reviewer().user)
    case.refresh_from_db()
    assert case.next_action_at is None
    assert _sweep_at(case.updated_at + timedelta(days=90)) == 0
