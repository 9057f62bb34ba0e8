"""Verification end to end: this process enrols and reviews, a real Celery worker (Redis) runs the
checks and sends every email to a real SMTP sink. Nothing is mocked but, once, the clock."""

from __future__ import annotations

import email
import re
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from portal.models import OutboxMessage
from portal.tasks import outbox_sweep
from tests.integration.conftest import REDIS_URL, use_broker
from tests.verification.factories import reviewer, submitted_reseller
from verification.models import VerificationCase
from verification.services import case_approve, verification_case_open, verification_sweep_due

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
Status = VerificationCase.Status
LINK = re.compile(r"https?://\S+/verify-contact/[\w-]+/")


def _text(message: dict) -> str:
    parsed = email.message_from_string(message["data"])
    for part in parsed.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    return ""


def _subject(message: dict) -> str:
    return str(email.message_from_string(message["data"])["Subject"])


def _wait_for_subject(sink, fragment: str, timeout: float = 45) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(sink.messages):
            if fragment in _subject(message):
                return message
        time.sleep(0.2)
    subjects = [_subject(m) for m in sink.messages]
    raise AssertionError(f"no email with {fragment!r}; got {subjects}")


def _wait_status(case: VerificationCase, status: str, timeout: float = 45) -> VerificationCase:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        case.refresh_from_db()
        if case.status == status:
            return case
        time.sleep(0.2)
    return case


def _submit() -> VerificationCase:
    """What the enrolment's Register now does: open the case inside its transaction."""
    partner = submitted_reseller()
    with transaction.atomic():
        verification_case_open(organization=partner.organization, actor=partner.user)
    return VerificationCase.objects.get(organization=partner.organization)


def test_enrolment_to_approval_with_a_real_worker_and_smtp_sink(celery_stack):
    case = _submit()
    contact = case.organization.legal_profile.primary_contact_email

    invitation = _wait_for_subject(celery_stack, "Confirm the enrolment")
    assert invitation["to"] == [contact]
    link = LINK.search(_text(invitation)).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    browser = Client()
    assert browser.get(f"/{path}").status_code == 200
    response = browser.post(
        f"/{path}", {"action": "confirm", "signed_up": "on", "address_belongs": "on"}
    )
    assert response.status_code == 200

    case = _wait_status(case, Status.IN_REVIEW)  # the checks ran in the worker
    assert case.status == Status.IN_REVIEW
    assert case.checks.count() == 5
    _wait_for_subject(celery_stack, "is in review")

    case_approve(case=case, actor=reviewer().user)
    approval = _wait_for_subject(celery_stack, "is verified")
    assert approval["to"] == [contact]
    time.sleep(2)  # a late duplicate would show up here
    subjects = [_subject(m) for m in celery_stack.messages]
    assert len(subjects) == len(set(subjects)) == 4


def test_broker_down_at_submission_the_email_goes_out_after_the_sweep(celery_stack):
    use_broker("redis://127.0.0.1:9/0")  # nothing listens there
    try:
        case = _submit()  # the enrolment succeeds: the email is a row in the database
    finally:
        use_broker(REDIS_URL)
    time.sleep(1)
    assert celery_stack.messages == []
    assert OutboxMessage.objects.filter(organization=case.organization, sent_at=None).count() == 1
    outbox_sweep.delay()  # what beat does every minute
    _wait_for_subject(celery_stack, "Confirm the enrolment")
    assert len(celery_stack.messages) == 1


def test_checks_lost_while_the_broker_is_down_run_on_the_sweep(celery_stack):
    case = _submit()
    link = LINK.search(_text(_wait_for_subject(celery_stack, "Confirm"))).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    use_broker("redis://127.0.0.1:9/0")
    try:
        Client().post(path, {"action": "confirm", "signed_up": "on", "address_belongs": "on"})
    finally:
        use_broker(REDIS_URL)
    time.sleep(1)
    case.refresh_from_db()
    assert case.status == Status.CHECKING
    # Beat's sweep, two minutes later (the clock is the only thing moved).
    assert verification_sweep_due(now=timezone.now() + timedelta(minutes=3)) == 1
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    outbox_sweep.delay()  # the "checking" email was written while the broker was down
    _wait_for_subject(celery_stack, "is in review")
    _wait_for_subject(celery_stack, "we are checking")


@pytest.mark.parametrize("celery_stack", [{"OUTBOX_CLAIM_TIMEOUT_SECONDS": "3"}], indirect=True)
def test_worker_killed_mid_send_the_email_is_delivered_once(celery_stack):
    celery_stack.hold_seconds = 4
    case = _submit()
    deadline = time.monotonic() + 30
    while not celery_stack.held and time.monotonic() < deadline:
        time.sleep(0.1)
    assert celery_stack.held, "the worker never reached the SMTP DATA step"
    celery_stack.kill_worker()  # mid-send: the server has not said 250 yet
    celery_stack.hold_seconds = 0
    time.sleep(4.5)  # the sink notices the hang-up; the claim goes stale
    assert celery_stack.messages == [] and len(celery_stack.dropped) == 1
    message = OutboxMessage.objects.get(organization=case.organization)
    assert message.sent_at is None and message.status == OutboxMessage.Status.SENDING

    celery_stack.start_worker()
    outbox_sweep.delay()
    _wait_for_subject(celery_stack, "Confirm the enrolment")
    time.sleep(3)
    outbox_sweep.delay()  # a second sweep must not send it again
    time.sleep(2)
    assert len(celery_stack.messages) == 1
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2
