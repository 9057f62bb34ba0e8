"""The operations page (/operations/): the programme operator's staff see the backlog, the
processes' heartbeats, the broker's queue, the errors and the work past its deadline, and send a
failed email again; nobody else finds the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from celery import current_app
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.utils import timezone

from portal.events import AuditType
from portal.models import AuditEvent, Organization, OutboxMessage
from portal.operations import BEAT, WORKER, record_heartbeat
from portal.outbox import outbox_drain, outbox_enqueue
from portal.services import outbox_retry_failed, outbox_retry_now
from portal.views_operations import duration_text
from tests.factories import OrganizationFactory, member
from tests.queries import queries_of
from tests.verification.factories import operator_org, reviewer, submitted_reseller
from verification.models import VerificationCase

pytestmark = pytest.mark.django_db

REFUSING = {"default": {"BACKEND": "tests.portal.failing_backend.RefusingBackend"}}


@pytest.fixture(autouse=True)
def _retries_wait(settings):
    """A failed email's next turn is minutes away: only "Retry now" brings it back today."""
    settings.OUTBOX_RETRY_BASE_SECONDS = 600
    settings.OUTBOX_RETRY_MAX_SECONDS = 3600


def _failed_email(n: int = 1) -> OutboxMessage:
    """An email the SMTP server refused (a real drain through a refusing backend): unsent,
    its last error kept, its next attempt later."""
    message = outbox_enqueue(
        key=f"failed-{n}",
        to=f"paola.verdi{n}@northwind.example",
        template="test_message",
        context={"name": f"Paola {n}", "link": "http://x/invite/abc/"},
    )
    with override_settings(MAILERS=REFUSING):
        outbox_drain()
    message.refresh_from_db()
    assert message.sent_at is None and "refused" in message.last_error
    return message


def _retry(client, **data):
    return client.post("/operations/retry/", data, follow=True)


# --- who finds the page ---------------------------------------------------------------------


def test_the_operators_verification_admins_and_global_admins_see_the_page(client_for):
    for staff in (reviewer(), member(operator_org())):
        response = client_for(staff).get("/operations/")
        assert response.status_code == 200
        assert "<h1" in response.text and "Operations" in response.text


def test_partners_get_the_page_as_if_it_did_not_exist(client_for):
    provider = member(OrganizationFactory(kind=Organization.Kind.PROVIDER))
    for outsider in (member(), provider):
        assert client_for(outsider).get("/operations/").status_code == 404
        assert client_for(outsider).post("/operations/retry/", {"all": "1"}).status_code == 404


def test_an_operator_member_without_a_staff_role_is_refused(client_for):
    helpdesk = member(operator_org(), helpdesk_agent=True)
    assert client_for(helpdesk).get("/operations/").status_code == 403


def test_staff_without_a_second_factor_set_it_up_first_when_required(client_for, settings):
    settings.PORTAL_REQUIRE_MFA = True
    staff = reviewer()
    for response in (
        client_for(staff).get("/operations/"),
        client_for(staff).post("/operations/retry/", {"all": "1"}),
    ):
        assert response.status_code == 302 and response.url == "/accounts/2fa/totp/activate/"
    Authenticator.objects.create(user=staff.user, type=Authenticator.Type.TOTP, data={"s": "x"})
    assert client_for(staff).get("/operations/").status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/operations/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_navigation_shows_operations_to_the_operators_staff_only(client_for):
    link = 'href="/operations/"'
    assert link in client_for(reviewer()).get("/dashboard/").text
    assert link not in client_for(member()).get("/dashboard/").text


# --- what it shows --------------------------------------------------------------------------


def test_a_stale_worker_heartbeat_and_a_fresh_beat_are_said_in_words(client_for):
    now = timezone.now()
    record_heartbeat(WORKER, now=now - timedelta(minutes=4, seconds=10))
    record_heartbeat(BEAT, now=now - timedelta(seconds=20))
    text = client_for(reviewer()).get("/operations/").text
    worker = text.split("Worker heartbeat")[1].split("</dd>")[0]
    beat = text.split("Scheduler (beat) heartbeat")[1].split("</dd>")[0]
    assert "Needs attention" in worker and "No heartbeat for 4 min" in worker
    assert "OK" in beat and "Needs attention" not in beat and "20 seconds" in beat


def test_a_process_that_never_beat_needs_attention(client_for):
    text = client_for(reviewer()).get("/operations/").text
    assert text.count("No heartbeat received yet") == 2


def test_failed_emails_and_the_backlog_are_listed_with_their_error(client_for):
    message = _failed_email()
    text = client_for(reviewer()).get("/operations/").text
    emails = text.split('id="ops-emails"')[1].split("</section>")[0]
    assert 'Emails waiting to be sent</dt>\n    <dd><span class="ops-value">1</span>' in emails
    assert "Needs attention" in emails  # one failing
    assert "Emails that failed" in text
    assert message.to_email in text and "Hello Paola 1" in text
    assert "SMTPDataError" in text and "refused: try again later" in text
    assert 'Retry now<span class="visually-hidden"> the email to paola.verdi1@' in text


def test_cases_past_their_deadline_need_attention(client_for):
    VerificationCase.objects.create(
        organization=submitted_reseller().organization,
        status=VerificationCase.Status.IN_REVIEW,
        waiting_since=timezone.now() - timedelta(days=6),
    )
    text = client_for(reviewer()).get("/operations/").text
    line = text.split("Verification cases past their deadline")[1].split("</dd>")[0]
    assert "Needs attention" in line and ">1<" in line


def test_nothing_failing_says_so(client_for):
    text = client_for(reviewer()).get("/operations/").text
    assert "No email is failing" in text
    assert "Retry all failed emails" not in text


def test_an_unreachable_broker_is_shown_not_raised(client_for, monkeypatch):
    monkeypatch.setitem(current_app.conf, "broker_read_url", "redis://127.0.0.1:1/0")
    response = client_for(reviewer()).get("/operations/")
    assert response.status_code == 200
    assert "Unreachable: the broker does not answer" in response.text


def test_the_page_reads_in_italian(client_for):
    _failed_email()
    staff = reviewer()
    staff.user.language = "it"
    staff.user.save(update_fields=["language"])
    text = client_for(staff).get("/operations/").text
    for italian in ("Operazioni", "Richiede attenzione", "Email non riuscite", "Riprova ora"):
        assert italian in text


def test_durations_are_short_and_human():
    assert duration_text(45) == "45 seconds"
    assert duration_text(200) == "3 min"
    assert duration_text(2 * 3600 + 5 * 60) == "2 h 5 min"
    assert duration_text(3 * 86400 + 60) == "3 days"


def test_the_page_costs_the_same_queries_with_one_and_three_failed_emails(client_for):
    client = client_for(reviewer())
    counts = []
    for n in (1, 2, 3):
        _failed_email(n)
        if n in (1, 3):
            queries, text = queries_of(client, "/operations/")
            assert text.count("Retry now<span") == n
            counts.append(queries)
    assert counts[0] == counts[1]
    # Two of them count the cases past their deadline (verification.selectors.cases_past_sla_count).
    assert counts[0] <= 9, counts


# --- retry ----------------------------------------------------------------------------------


def test_retry_now_sends_the_email_and_is_audited(client_for, django_capture_on_commit_callbacks):
    message = _failed_email()
    staff = reviewer()
    with django_capture_on_commit_callbacks(execute=True):
        response = _retry(client_for(staff), message=message.pk)
    assert f"The email to {message.to_email} will be sent again within a minute." in response.text
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and message.last_error == ""
    assert [m.to for m in mail.outbox] == [[message.to_email]]
    event = AuditEvent.objects.get(type=AuditType.EMAIL_RETRY_REQUESTED)
    assert event.actor == staff.user and event.organization == staff.organization
    assert event.details["email"] == message.to_email


def test_retrying_a_sent_email_sends_nothing_and_says_so(
    client_for, django_capture_on_commit_callbacks
):
    message = _failed_email()
    client = client_for(reviewer())
    with django_capture_on_commit_callbacks(execute=True):
        _retry(client, message=message.pk)
    with django_capture_on_commit_callbacks(execute=True):
        again = _retry(client, message=message.pk)
    assert again.status_code == 200
    assert "was sent already: nothing to do" in again.text
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(type=AuditType.EMAIL_RETRY_REQUESTED).count() == 1


def test_an_email_being_sent_is_left_to_its_worker(client_for, django_capture_on_commit_callbacks):
    message = _failed_email()
    claimed_at = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.SENDING, claimed_at=claimed_at
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _retry(client_for(reviewer()), message=message.pk)
    assert "is being sent right now" in response.text
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENDING and message.claimed_at == claimed_at
    assert not mail.outbox and not AuditEvent.objects.exists()


@pytest.mark.parametrize("value", ["2000000000", "99999999999999999", "abc", "", "-1"])
def test_retrying_a_missing_email_says_so(client_for, value):
    response = _retry(client_for(reviewer()), message=value)
    assert response.status_code == 200
    assert "That email could not be found." in response.text


def test_retry_all_sends_every_failed_email_with_one_audit_event(
    client_for, django_capture_on_commit_callbacks
):
    first = _failed_email(1)
    second = _failed_email(2)
    with django_capture_on_commit_callbacks(execute=True):
        response = _retry(client_for(reviewer()), all="1")
    assert "2 failed emails will be sent again within a minute." in response.text
    assert sorted(m.to[0] for m in mail.outbox) == [first.to_email, second.to_email]
    event = AuditEvent.objects.get(type=AuditType.EMAILS_RETRY_REQUESTED)
    assert event.details["count"] == 2


def test_partners_cannot_retry_an_email(client_for, django_capture_on_commit_callbacks):
    message = _failed_email()
    before = message.next_attempt_at
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(member()).post("/operations/retry/", {"message": message.pk})
    assert response.status_code == 404
    message.refresh_from_db()
    assert message.next_attempt_at == before and message.sent_at is None
    assert not mail.outbox and not AuditEvent.objects.exists()


def test_the_retry_is_post_only(client_for):
    assert client_for(reviewer()).get("/operations/retry/").status_code == 405


def test_the_retry_services_refuse_anyone_but_the_operators_staff():
    message = _failed_email()
    before = message.next_attempt_at
    for outsider in (member(), member(operator_org(), helpdesk_agent=True)):
        with pytest.raises(PermissionDenied):
            outbox_retry_now(actor=outsider.user, message_id=message.pk)
        with pytest.raises(PermissionDenied):
            outbox_retry_failed(actor=outsider.user)
    message.refresh_from_db()
    assert message.next_attempt_at == before and not AuditEvent.objects.exists()
