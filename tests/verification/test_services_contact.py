import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from enrollment.models import LegalProfile
from portal.models import Organization
from tests.verification.helpers import last_link_key, templates_sent
from verification.models import ContactConfirmation, VerificationCase
from verification.services import (
    CaseConflict,
    ContactLinkInvalid,
    case_contact_change,
    case_contact_confirm,
    case_contact_deny,
    case_reject,
    document_upload,
)
from verification.services.contact import LinkState

Status = VerificationCase.Status
pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


def test_only_the_hash_of_the_key_is_stored(open_case):
    key = last_link_key(open_case)
    stored = ContactConfirmation.objects.get(case=open_case)
    assert key not in stored.key_hash and len(stored.key_hash) == 64
    assert len(key) >= 43  # 32 random bytes


def test_a_link_confirms_once(open_case, django_capture_on_commit_callbacks):
    key = last_link_key(open_case)
    with django_capture_on_commit_callbacks(execute=True):
        case_contact_confirm(key=key)
    with pytest.raises(ContactLinkInvalid) as used:
        case_contact_confirm(key=key)
    assert used.value.state == LinkState.USED
    assert open_case.events.filter(type="contact_confirmed").count() == 1


def test_denying_withdraws_and_emails(open_case):
    case_contact_deny(key=last_link_key(open_case))
    open_case.refresh_from_db()
    assert open_case.status == Status.WITHDRAWN
    assert templates_sent(open_case)[-1] == "verification_withdrawn"


def test_a_new_primary_contact_reopens_a_withdrawn_case(open_case, partner):
    case_contact_deny(key=last_link_key(open_case))
    domain = partner.organization.primary_domain
    case_contact_change(
        case=open_case,
        actor=partner.user,
        first_name="Nora",
        last_name="Neri",
        email=f"Nora.Neri@{domain}",
        phone="+39 06 1234 5601",
    )
    open_case.refresh_from_db()
    assert open_case.status == Status.EMAIL_PENDING
    profile = LegalProfile.objects.get(organization=partner.organization)
    assert profile.primary_contact_email == f"nora.neri@{domain}"
    assert open_case.events.last().details["previous_email"].startswith("paola.verdi@")


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("info@{domain}", "person's own mailbox"),
        ("nora@other.example", "in your organization's domain"),
    ],
)
def test_changing_to_an_unsuitable_address_is_refused(open_case, partner, email, message):
    with pytest.raises(ValidationError, match=message):
        case_contact_change(
            case=open_case,
            actor=partner.user,
            first_name="N",
            last_name="N",
            email=email.format(domain=partner.organization.primary_domain),
            phone="1",
        )


def test_changing_the_contact_of_a_case_in_review_is_refused(
    open_case, partner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case_contact_confirm(key=last_link_key(open_case))
    with pytest.raises(CaseConflict):
        case_contact_change(
            case=open_case,
            actor=partner.user,
            first_name="N",
            last_name="N",
            email=f"nora@{partner.organization.primary_domain}",
            phone="1",
        )


def test_fix_now_after_a_rejection_returns_the_case_and_the_organization_to_review(
    open_case, partner, reviewer_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case_contact_confirm(key=last_link_key(open_case))
    case_reject(case=open_case, actor=reviewer_member.user, reason="documents_insufficient")
    document_upload(
        case=open_case,
        actor=partner.user,
        document_type="registration_certificate",
        comment="The right one",
        file=SimpleUploadedFile("c.pdf", PDF),
    )
    open_case.refresh_from_db()
    assert open_case.status == Status.IN_REVIEW
    assert open_case.reject_reason == ""
    assert open_case.organization.status == Organization.Status.SUBMITTED
    assert templates_sent(open_case)[-1] == "verification_documents_received"


def test_uploading_while_waiting_for_the_contact_is_refused(open_case, partner):
    with pytest.raises(CaseConflict):
        document_upload(
            case=open_case,
            actor=partner.user,
            document_type="registration_certificate",
            comment="",
            file=SimpleUploadedFile("c.pdf", PDF),
        )


def test_an_extra_document_while_in_review_is_on_the_timeline_without_a_status_change(
    open_case, partner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case_contact_confirm(key=last_link_key(open_case))
    emails = len(templates_sent(open_case))
    document_upload(
        case=open_case,
        actor=partner.user,
        document_type="tax_registration",
        comment="",
        file=SimpleUploadedFile("vat.pdf", PDF),
    )
    open_case.refresh_from_db()
    assert open_case.status == Status.IN_REVIEW
    event = open_case.events.last()
    assert (event.type, event.to_status) == ("info_submitted", "")
    assert len(templates_sent(open_case)) == emails
