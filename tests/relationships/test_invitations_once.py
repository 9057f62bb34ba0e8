"""Invitation forms and a bulk file's Send button act once: sending the same form again (Back
and Send, a double click) shows what the first one did instead of a second invitation or an
"already pending" error (portal/form_tokens.py)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.models import AuditEvent, OutboxMessage
from relationships.events import AuditType
from relationships.models import BulkInvitationBatch, CustomerInvitation, ResellerInvitation
from tests.factories import member
from tests.form_tokens import followed_message, token_in
from tests.relationships.factories import ProviderRelationshipFactory, provider_org, reseller_org

pytestmark = pytest.mark.django_db

ALREADY_SENT = "This invitation was already sent; it is in your pending invitations."


def _invite_reseller(client, token: str, email: str = "admin@fabrikam.example"):
    return client.post(
        "/indirect-resellers/invite/",
        {"email": email, "partner_id": "", "language": "en", "form_token": token},
    )


def test_the_same_reseller_invitation_form_sent_twice_sends_one_invitation(client_for):
    client = client_for(member(provider_org()))
    token = token_in(client.get("/indirect-resellers/").text)
    assert _invite_reseller(client, token)["Location"] == "/indirect-resellers/"
    again = _invite_reseller(client, token)
    assert again["Location"] == "/indirect-resellers/"
    page = followed_message(client, again)
    assert ALREADY_SENT in page and "admin@fabrikam.example" in page
    assert "is already pending" not in page
    assert ResellerInvitation.objects.count() == 1
    assert OutboxMessage.objects.filter(to_email="admin@fabrikam.example").count() == 1


def test_another_providers_copy_of_the_token_sends_its_own_invitation(client_for):
    client = client_for(member(provider_org()))
    token = token_in(client.get("/indirect-resellers/").text)
    _invite_reseller(client, token)
    other = client_for(member(provider_org()))
    response = _invite_reseller(other, token)
    assert response.status_code == 302
    assert ALREADY_SENT not in followed_message(other, response)
    assert ResellerInvitation.objects.count() == 2


def _invite_customer(client, provider_id: int, token: str):
    return client.post(
        "/indirect-providers/invite-customer/",
        {
            "provider": provider_id,
            "email": "it@northwind.example",
            "company_name": "Northwind Traders S.r.l.",
            "include_admin_access": "on",
            "language": "it",
            "form_token": token,
        },
    )


def test_the_same_customer_invitation_form_sent_twice_sends_one_invitation(client_for):
    relationship = ProviderRelationshipFactory(reseller=reseller_org())
    client = client_for(member(relationship.reseller))
    token = token_in(client.get("/indirect-providers/invite-customer/").text)
    first = _invite_customer(client, relationship.provider_id, token)
    assert first["Location"] == "/indirect-providers/invite-customer/"
    again = _invite_customer(client, relationship.provider_id, token)
    assert again["Location"] == "/indirect-providers/invite-customer/"
    assert ALREADY_SENT in followed_message(client, again)
    assert CustomerInvitation.objects.count() == 1
    assert OutboxMessage.objects.filter(to_email="it@northwind.example").count() == 1


def test_sending_a_reviewed_bulk_file_twice_sends_it_once_and_shows_its_progress(
    client_for, django_capture_on_commit_callbacks
):
    client = client_for(member(provider_org(), global_admin=True))
    client.post(
        "/bulk-invitations/",
        {
            "file": SimpleUploadedFile(
                "resellers.csv",
                b"email,partner_id\none@alpha.example,\ntwo@beta.example,\n",
                content_type="text/csv",
            )
        },
    )
    batch = BulkInvitationBatch.objects.get()
    token = token_in(client.get(f"/bulk-invitations/{batch.pk}/").text)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/bulk-invitations/{batch.pk}/", {"form_token": token})
        assert response["Location"] == f"/bulk-invitations/{batch.pk}/"
    page = followed_message(client, response)
    assert "You already sent these invitations; here is where they stand." in page
    assert "2 of 2 invitations processed" in page
    assert ResellerInvitation.objects.count() == 2
    assert AuditEvent.objects.filter(type=AuditType.BULK_INVITATIONS_CONFIRMED).count() == 1


def test_a_bulk_send_with_a_forged_token_sends_nothing_and_says_why(client_for):
    client = client_for(member(provider_org(), global_admin=True))
    client.post(
        "/bulk-invitations/",
        {
            "file": SimpleUploadedFile(
                "resellers.csv", b"email,partner_id\none@alpha.example,\n", content_type="text/csv"
            )
        },
    )
    batch = BulkInvitationBatch.objects.get()
    response = client.post(f"/bulk-invitations/{batch.pk}/", {"form_token": "made-up"})
    page = followed_message(client, response)
    assert "This form could not be checked, so it was not sent." in page
    batch.refresh_from_db()
    assert batch.status == BulkInvitationBatch.Status.DRAFT
    assert not ResellerInvitation.objects.exists()
