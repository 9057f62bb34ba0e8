"""A customer invitation to an address that already belongs to a user of an organization
(`customer_addressee_note`): refused when nobody could accept from it (a partner's user), sent
with a note when it is a customer organization's user, whose organization accepting links;
the same in the form and in a bulk file."""

import pytest
from django.core.exceptions import ValidationError

from relationships.models import BulkInvitationBatch, CustomerInvitation
from relationships.services.customers import (
    customer_invitation_accept,
    customer_invitation_create,
)
from tests.factories import OrganizationFactory, acting, member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
    reseller_org,
)
from tests.relationships.test_views_bulk import confirm, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def relationship():
    return ProviderRelationshipFactory(
        provider=provider_org(legal_name="Contoso Distribution"),
        reseller=reseller_org(legal_name="Northwind IT S.r.l."),
    )


def invite(relationship, email: str) -> CustomerInvitation:
    return customer_invitation_create(
        **acting(member(relationship.reseller)),
        provider_id=relationship.provider_id,
        email=email,
        company_name="Fabrikam S.p.A.",
    )


def refusal(relationship, email: str) -> str:
    with pytest.raises(ValidationError) as refused:
        invite(relationship, email)
    assert not CustomerInvitation.objects.exists()
    return " ".join(refused.value.messages)


def test_a_new_address_is_sent_without_a_note(relationship):
    assert invite(relationship, "owner@fabrikam.example").addressee_note == ""


def test_an_address_of_the_resellers_own_user_is_refused(relationship):
    colleague = member(relationship.reseller, sales_agent=True)
    assert "is a user of your own organization" in refusal(relationship, colleague.user.email)


def test_an_address_of_the_providers_user_is_refused_naming_the_provider(relationship):
    agent = member(relationship.provider)
    assert "is a user of Contoso Distribution, your indirect provider" in refusal(
        relationship, agent.user.email
    )


@pytest.mark.parametrize("kind", ["reseller", "provider", "operator"])
def test_an_address_of_another_partners_user_is_refused_without_naming_it(relationship, kind):
    partner = OrganizationFactory(kind=kind, legal_name="Tailspin Partners S.r.l.")
    message = refusal(relationship, member(partner).user.email)
    assert "belongs to a partner organization in the portal" in message
    assert "only a customer's Global admin can accept" in message
    assert "Tailspin" not in message  # another tenant the reseller does not work with


def test_a_customer_users_address_is_sent_with_a_note_and_accepting_links_that_customer(
    relationship,
):
    fabrikam = customer_org(legal_name="Fabrikam S.p.A.", primary_domain="fabrikam.example")
    admin = member(fabrikam)
    invitation = invite(relationship, admin.user.email)
    assert invitation.addressee_note == (
        f"{admin.user.email} already has an account at another company in the portal: only "
        "that company's Global admin can accept, and accepting links that company."
    )
    assert "Fabrikam" not in invitation.addressee_note  # not the reseller's customer yet
    accepted = customer_invitation_accept(**acting(admin), invitation_id=invitation.pk)
    assert accepted.customer == fabrikam


def test_a_customer_already_ours_with_another_provider_is_named_in_the_note(relationship):
    fabrikam = customer_org(legal_name="Fabrikam S.p.A.")
    other = ProviderRelationshipFactory(reseller=relationship.reseller)
    CustomerRelationshipFactory(relationship=other, customer=fabrikam)
    note = invite(relationship, member(fabrikam).user.email).addressee_note
    assert "is a user of Fabrikam S.p.A., already your customer" in note
    assert "adds Contoso Distribution to its relationships" in note


def test_a_customer_already_ours_with_this_provider_is_refused(relationship):
    fabrikam = customer_org(legal_name="Fabrikam S.p.A.")
    CustomerRelationshipFactory(relationship=relationship, customer=fabrikam)
    assert "Fabrikam S.p.A., which already works with you and Contoso Distribution" in refusal(
        relationship, member(fabrikam).user.email
    )


def test_the_form_says_the_note_after_sent(client_for, relationship):
    fabrikam_admin = member(customer_org(primary_domain="fabrikam.example"))
    client = client_for(member(relationship.reseller))
    response = client.post(
        "/indirect-providers/invite-customer/",
        {
            "provider": relationship.provider_id,
            "email": fabrikam_admin.user.email,
            "company_name": "Fabrikam S.p.A.",
        },
        follow=True,
    )
    assert f"Invitation sent to {fabrikam_admin.user.email}" in response.text
    assert "already has an account at another company in the portal" in response.text


def test_the_form_refuses_a_partners_address_beside_the_field(client_for, relationship):
    partner_user = member(reseller_org()).user
    client = client_for(member(relationship.reseller))
    response = client.post(
        "/indirect-providers/invite-customer/",
        {
            "provider": relationship.provider_id,
            "email": partner_user.email,
            "company_name": "Fabrikam S.p.A.",
        },
    )
    assert response.status_code == 400
    assert "belongs to a partner organization in the portal" in response.text
    assert not CustomerInvitation.objects.exists()


def test_a_bulk_file_refuses_partner_rows_and_notes_customer_rows(
    client_for, relationship, django_capture_on_commit_callbacks
):
    partner_user = member(provider_org()).user
    customer_user = member(customer_org()).user
    client = client_for(member(relationship.reseller))
    upload(
        client,
        "email,company_name\n"
        "new@fabrikam.example,Fabrikam S.p.A.\n"
        f"{partner_user.email},Partner S.p.A.\n"
        f"{customer_user.email},Customer S.p.A.\n",
        provider=relationship.provider_id,
    )
    batch = BulkInvitationBatch.objects.get()
    confirm(client, batch, django_capture_on_commit_callbacks)
    batch.refresh_from_db()
    assert (batch.sent, batch.not_sent) == (2, 1)
    page = client.get(f"/bulk-invitations/{batch.pk}/").text
    assert "belongs to a partner organization in the portal" in page  # rows not sent
    assert "Sent, with a note" in page
    assert f"{customer_user.email} already has an account at another company" in page
