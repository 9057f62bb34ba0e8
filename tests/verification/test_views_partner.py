import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.models import OutboxMessage
from tests.factories import member
from tests.verification.factories import submitted_reseller
from tests.verification.helpers import last_link_key
from verification.models import Document, DocumentType, VerificationCase
from verification.services import case_contact_confirm, case_open, case_reject, case_request_info

Status = VerificationCase.Status
pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _requested(case, reviewer, capture):
    with capture(execute=True):
        case_contact_confirm(key=last_link_key(case))
    return case_request_info(
        case=case,
        actor=reviewer.user,
        document_types=[DocumentType.REGISTRATION_CERTIFICATE],
        message="Send the certificate",
    )


def test_waiting_page_names_the_primary_contact_as_who_it_waits_on(client_for, partner, open_case):
    response = client_for(partner).get("/verification/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Waiting for your primary contact" in body
    assert "Paola Verdi" in body and "Resend verification email" in body


def test_page_without_a_case_says_to_finish_enrolment(client_for, partner):
    body = client_for(partner).get("/verification/").content.decode()
    assert "has not submitted its enrolment yet" in body


def test_dashboard_panel_shows_the_verification_status(client_for, partner, open_case):
    body = client_for(partner).get("/dashboard/").content.decode()
    assert "Waiting for your primary contact" in body


def test_global_admin_resends_the_email_and_the_third_extra_is_refused(
    client_for, partner, open_case
):
    client = client_for(partner)
    for _ in range(3):
        client.post("/verification/contact/resend/")
    assert OutboxMessage.objects.filter(template="verification_contact_confirm").count() == 4
    response = client.post("/verification/contact/resend/", follow=True)
    assert "try again later" in response.content.decode()
    assert OutboxMessage.objects.filter(template="verification_contact_confirm").count() == 4


def test_changing_the_primary_contact_resends_to_the_new_address(client_for, partner, open_case):
    domain = partner.organization.primary_domain
    response = client_for(partner).post(
        "/verification/contact/change/",
        {
            "first_name": "Nora",
            "last_name": "Neri",
            "email": f"nora@{domain}",
            "phone": "+39 06 1234 5601",
        },
    )
    assert response.status_code == 302
    message = OutboxMessage.objects.filter(template="verification_contact_confirm").first()
    assert message.to_email == f"nora@{domain}"


def test_changing_to_a_consumer_address_is_refused_beside_the_field(client_for, partner, open_case):
    response = client_for(partner).post(
        "/verification/contact/change/",
        {"first_name": "N", "last_name": "N", "email": "nora@gmail.com", "phone": "+39 1"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Use your work email address" in body and 'aria-describedby="id_email_error"' in body


def test_non_admin_members_cannot_resend(client_for, partner, open_case):
    helpdesk = member(partner.organization, helpdesk_agent=True)
    assert client_for(helpdesk).post("/verification/contact/resend/").status_code == 403


def test_uploading_a_requested_pdf_returns_the_case_to_review(
    client_for, partner, open_case, reviewer_member, django_capture_on_commit_callbacks
):
    _requested(open_case, reviewer_member, django_capture_on_commit_callbacks)
    response = client_for(partner).post(
        "/verification/upload/",
        {
            "document_type": "registration_certificate",
            "comment": "Attached",
            "file": SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    open_case.refresh_from_db()
    assert open_case.status == Status.IN_REVIEW
    document = Document.objects.get()
    assert document.content_type == "application/pdf"
    assert "cert" not in document.file.name  # stored under a random name
    download = client_for(partner).get(f"/verification/documents/{document.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


def test_a_file_that_only_claims_to_be_a_pdf_is_refused(
    client_for, partner, open_case, reviewer_member, django_capture_on_commit_callbacks
):
    _requested(open_case, reviewer_member, django_capture_on_commit_callbacks)
    response = client_for(partner).post(
        "/verification/upload/",
        {
            "document_type": "registration_certificate",
            "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"),
        },
    )
    assert response.status_code == 400
    assert "Upload a PDF, PNG or JPEG file." in response.content.decode()
    assert not Document.objects.exists()


def test_a_file_over_5_mb_is_refused(
    client_for, partner, open_case, reviewer_member, django_capture_on_commit_callbacks
):
    _requested(open_case, reviewer_member, django_capture_on_commit_callbacks)
    big = PDF + b"0" * (5 * 1024 * 1024)
    response = client_for(partner).post(
        "/verification/upload/",
        {"document_type": "registration_certificate", "file": SimpleUploadedFile("b.pdf", big)},
    )
    assert response.status_code == 400
    assert not Document.objects.exists()


def test_rejected_page_shows_the_reason_and_fix_now(
    client_for, partner, open_case, reviewer_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case_contact_confirm(key=last_link_key(open_case))
    case_reject(case=open_case, actor=reviewer_member.user, reason="documents_insufficient")
    body = client_for(partner).get("/verification/").content.decode()
    assert "Rejected" in body and "Fix now" in body
    assert "The documents do not prove the company" in body
    # The next step names the button that acts, and that button is on the page.
    assert "select Upload" in body and ">Upload</button>" in body
    assert "Select Fix now" not in body


def test_another_tenants_document_is_a_404(
    client_for, partner, open_case, reviewer_member, django_capture_on_commit_callbacks
):
    _requested(open_case, reviewer_member, django_capture_on_commit_callbacks)
    client_for(partner).post(
        "/verification/upload/",
        {"document_type": "registration_certificate", "file": SimpleUploadedFile("c.pdf", PDF)},
    )
    document = Document.objects.get()
    stranger = submitted_reseller()
    assert client_for(stranger).get(f"/verification/documents/{document.pk}/").status_code == 404
    assert client_for(stranger).get(f"/review/documents/{document.pk}/").status_code == 404
    assert client_for(reviewer_member).get(f"/review/documents/{document.pk}/").status_code == 200


def test_another_tenants_case_never_shows_on_my_page(client_for, partner, open_case):
    stranger = submitted_reseller()
    case_open(organization=stranger.organization, actor=stranger.user)
    body = client_for(partner).get("/verification/").content.decode()
    assert stranger.organization.legal_name not in body


def test_partner_timeline_does_not_show_who_holds_the_case_inside_the_operator(
    client_for, partner, open_case, reviewer_member, django_capture_on_commit_callbacks
):
    from verification.services import case_claim

    with django_capture_on_commit_callbacks(execute=True):
        case_contact_confirm(key=last_link_key(open_case))
    case_claim(case=open_case, actor=reviewer_member.user)
    body = client_for(partner).get("/verification/").content.decode()
    assert "Automated checks completed" in body
    assert "Case assigned" not in body
    assert reviewer_member.user.get_full_name() not in body


def test_a_tenant_without_a_case_cannot_upload_or_resend_for_anyone(client_for, open_case):
    stranger = submitted_reseller()
    client = client_for(stranger)
    upload = client.post(
        "/verification/upload/",
        {"document_type": "registration_certificate", "file": SimpleUploadedFile("c.pdf", PDF)},
    )
    assert upload.status_code == 404
    assert client.post("/verification/contact/resend/").status_code == 404
    assert not Document.objects.exists()
    assert OutboxMessage.objects.filter(template="verification_contact_confirm").count() == 1
