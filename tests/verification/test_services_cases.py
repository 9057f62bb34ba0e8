import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.models import AuditEvent, Notification, Organization, OutboxMessage
from tests.factories import member
from tests.verification.factories import reviewer
from tests.verification.helpers import last_link_key, templates_sent
from verification.models import CaseEvent, CheckResult, DocumentType, VerificationCase
from verification.services import (
    CaseConflict,
    case_approve,
    case_claim,
    case_contact_confirm,
    case_open,
    case_reject,
    case_request_info,
    verification_case_open,
)

Status = VerificationCase.Status
pytestmark = pytest.mark.django_db


def _in_review(case, capture):
    with capture(execute=True):
        case_contact_confirm(key=last_link_key(case))
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    return case


def test_opening_a_case_writes_event_audit_notification_and_the_confirmation_email(partner):
    verification_case_open(organization=partner.organization, actor=partner.user)
    case = VerificationCase.objects.get(organization=partner.organization)
    assert case.status == Status.EMAIL_PENDING
    assert case.next_action == VerificationCase.NextAction.REMIND
    event = case.events.get()
    assert (event.type, event.actor, event.to_status) == ("opened", partner.user, "email_pending")
    assert AuditEvent.objects.filter(
        type="verification.opened", organization=partner.organization, details__case=case.pk
    ).exists()
    message = OutboxMessage.objects.get(organization=partner.organization)
    assert message.to_email == partner.organization.legal_profile.primary_contact_email
    assert message.idempotency_key == f"case:{case.pk}:{event.pk}"
    assert "/verify-contact/" in message.body_text
    assert Notification.objects.filter(organization=partner.organization, link="/verification/")


def test_opening_twice_keeps_one_case_and_one_email(partner):
    first = case_open(organization=partner.organization, actor=partner.user)
    second = case_open(organization=partner.organization, actor=partner.user)
    assert first.pk == second.pk
    assert OutboxMessage.objects.filter(organization=partner.organization).count() == 1


def test_email_to_the_contact_is_written_in_the_organizations_language(partner):
    partner.organization.language = "it"
    partner.organization.save(update_fields=["language"])
    case = case_open(organization=partner.organization, actor=partner.user)
    message = OutboxMessage.objects.get(organization=case.organization)
    assert message.language == "it"
    assert '<html lang="it">' in message.body_html


def test_a_contact_with_an_account_gets_the_email_in_their_own_language(partner):
    partner.organization.language = "it"
    partner.organization.save(update_fields=["language"])
    partner.user.language = "en"
    partner.user.save(update_fields=["language"])
    profile = partner.organization.legal_profile
    profile.primary_contact_email = partner.user.email
    profile.save(update_fields=["primary_contact_email"])
    case = case_open(organization=partner.organization, actor=partner.user)
    assert OutboxMessage.objects.get(organization=case.organization).language == "en"


def test_confirming_runs_the_checks_and_puts_the_case_in_review(
    open_case, django_capture_on_commit_callbacks
):
    case = _in_review(open_case, django_capture_on_commit_callbacks)
    assert list(case.events.values_list("type", flat=True)) == [
        "opened",
        "contact_confirmed",
        "checks_completed",
    ]
    assert CheckResult.objects.filter(case=case).count() == 5
    assert templates_sent(case) == [
        "verification_contact_confirm",
        "verification_checking",
        "verification_in_review",
    ]


def test_approving_verifies_the_case_and_the_organization_and_emails_the_contact(
    open_case, reviewer_member, django_capture_on_commit_callbacks
):
    case = _in_review(open_case, django_capture_on_commit_callbacks)
    case_approve(case=case, actor=reviewer_member.user, note="All good")
    case.refresh_from_db()
    assert case.status == Status.VERIFIED
    assert case.organization.status == Organization.Status.VERIFIED
    assert case.assignee == reviewer_member.user
    event = case.events.last()
    assert (event.type, event.actor, event.from_status) == (
        "approved",
        reviewer_member.user,
        "in_review",
    )
    assert templates_sent(case)[-1] == "verification_verified"
    assert AuditEvent.objects.filter(type="verification.approved", actor=reviewer_member.user)


def test_approving_a_case_still_waiting_for_the_contact_is_refused(open_case, reviewer_member):
    with pytest.raises(CaseConflict):
        case_approve(case=open_case, actor=reviewer_member.user)
    open_case.refresh_from_db()
    assert open_case.status == Status.EMAIL_PENDING


def test_second_reviewer_approving_gets_a_conflict_naming_the_first_and_nothing_twice(
    open_case, reviewer_member, django_capture_on_commit_callbacks
):
    case = _in_review(open_case, django_capture_on_commit_callbacks)
    version = case.version
    other = reviewer()
    case_approve(case=case, actor=reviewer_member.user, expected_version=version)
    with pytest.raises(CaseConflict) as conflict:
        case_approve(case=case, actor=other.user, expected_version=version)
    assert "already approved by" in conflict.value.message
    assert reviewer_member.user.get_full_name() in conflict.value.message
    assert "nothing was changed" in conflict.value.message
    assert case.events.filter(type="approved").count() == 1
    assert OutboxMessage.objects.filter(template="verification_verified").count() == 1


def test_acting_on_a_stale_version_is_a_conflict_even_if_the_status_allows_it(
    open_case, reviewer_member, django_capture_on_commit_callbacks
):
    case = _in_review(open_case, django_capture_on_commit_callbacks)
    stale = case.version
    case_claim(case=case, actor=reviewer().user)
    with pytest.raises(CaseConflict, match="already assigned"):
        case_reject(case=case, actor=reviewer_member.user, reason="other", expected_version=stale)
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW


def test_rejecting_records_reason_and_note_and_rejects_the_organization(
    open_case, reviewer_member, django_capture_on_commit_callbacks
):
    case = _in_review(open_case, django_capture_on_commit_callbacks)
    case_reject(
        case=case, actor=reviewer_member.user, reason="domain_mismatch", note="Wrong domain"
    )
    case.refresh_from_db()
    assert (case.status, case.reject_reason, case.reject_note) == (
        "rejected",
        "domain_mismatch",
        "Wrong domain",
    )
    assert case.organization.status == Organization.Status.REJECTED
    message = OutboxMessage.objects.get(template="verification_rejected")
    assert "The email domain does not match the company" in message.body_text
    assert "Wrong domain" in message.body_text


def test_rejecting_with_an_unknown_reason_is_refused(
    open_case, reviewer_member, django_capture_on_commit_callbacks
):
    case = _in_review(open_case, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        case_reject(case=case, actor=reviewer_member.user, reason="because")


def test_requesting_information_lists_the_documents_in_the_email(
    open_case, reviewer_member, django_capture_on_commit_callbacks
):
    case = _in_review(open_case, django_capture_on_commit_callbacks)
    request = case_request_info(
        case=case,
        actor=reviewer_member.user,
        document_types=[DocumentType.PROOF_OF_ADDRESS],
        message="Please send a recent bill.",
    )
    case.refresh_from_db()
    assert case.status == Status.INFO_REQUESTED
    assert request.document_types == ["proof_of_address"]
    message = OutboxMessage.objects.get(template="verification_info_requested")
    assert "Proof of address" in message.body_text and "recent bill" in message.body_text


def test_requesting_information_without_documents_is_refused(
    open_case, reviewer_member, django_capture_on_commit_callbacks
):
    case = _in_review(open_case, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        case_request_info(case=case, actor=reviewer_member.user, document_types=[], message="x")


def test_partner_members_cannot_review(open_case, partner, django_capture_on_commit_callbacks):
    case = _in_review(open_case, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        case_approve(case=case, actor=partner.user)
    operator_admin_without_role = member(reviewer().organization)
    with pytest.raises(PermissionDenied):
        case_claim(case=case, actor=operator_admin_without_role.user)


def test_claiming_assigns_the_reviewer_and_writes_an_event(
    open_case, reviewer_member, django_capture_on_commit_callbacks
):
    case = _in_review(open_case, django_capture_on_commit_callbacks)
    case_claim(case=case, actor=reviewer_member.user)
    case.refresh_from_db()
    assert case.assignee == reviewer_member.user
    assert case.events.filter(type=CaseEvent.Type.CLAIMED, actor=reviewer_member.user).exists()
