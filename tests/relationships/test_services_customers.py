import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.models import Notification, OutboxMessage
from relationships.errors import InvitationUnavailable
from relationships.models import (
    CustomerInvitation,
    CustomerRelationship,
    InvitationStatus,
    ProviderRelationship,
)
from relationships.services.customers import (
    customer_invitation_accept,
    customer_invitation_create,
)
from tests.factories import acting, member
from tests.relationships.factories import (
    CustomerInvitationFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
)

pytestmark = pytest.mark.django_db


def test_reseller_invites_a_customer_for_one_of_its_providers():
    relationship = ProviderRelationshipFactory()
    invitation = customer_invitation_create(
        **acting(member(relationship.reseller, sales_agent=True)),
        provider_id=relationship.provider_id,
        email="Owner@Trattoria.example",
        company_name="Trattoria S.r.l.",
    )
    assert invitation.email == "owner@trattoria.example"
    message = OutboxMessage.objects.get(to_email="owner@trattoria.example")
    assert f"/invitations/{invitation.key}/" in message.body_text
    assert relationship.provider.legal_name in message.body_text


def test_inviting_a_customer_for_a_provider_the_reseller_does_not_work_with_is_refused():
    relationship = ProviderRelationshipFactory()
    stranger = provider_org()
    with pytest.raises(ValidationError) as exc:
        customer_invitation_create(
            **acting(member(relationship.reseller)),
            provider_id=stranger.pk,
            email="a@b.example",
            company_name="B",
        )
    assert "Choose one of your active indirect providers." in exc.value.messages
    assert not CustomerInvitation.objects.exists()


def test_helpdesk_agent_cannot_invite_customers():
    relationship = ProviderRelationshipFactory()
    with pytest.raises(PermissionDenied):
        customer_invitation_create(
            **acting(member(relationship.reseller, helpdesk_agent=True)),
            provider_id=relationship.provider_id,
            email="a@b.example",
            company_name="B",
        )


def test_customer_accepts_relationship_with_reseller_and_provider_at_once():
    customer = member(customer_org())
    invitation = CustomerInvitationFactory(invitee=customer.organization)
    relationship = customer_invitation_accept(**acting(customer), invitation_id=invitation.pk)
    assert (relationship.customer, relationship.reseller, relationship.provider) == (
        customer.organization,
        invitation.organization,
        invitation.provider,
    )
    assert Notification.objects.filter(organization=invitation.provider).exists()
    assert Notification.objects.filter(organization=invitation.organization).exists()
    assert OutboxMessage.objects.filter(template="relationships_customer_accepted").exists()


def test_customer_double_accept_creates_one_relationship():
    customer = member(customer_org())
    invitation = CustomerInvitationFactory(invitee=customer.organization)
    customer_invitation_accept(**acting(customer), invitation_id=invitation.pk)
    with pytest.raises(InvitationUnavailable) as exc:
        customer_invitation_accept(**acting(customer), invitation_id=invitation.pk)
    assert exc.value.reason == "accepted"
    assert CustomerRelationship.objects.count() == 1


def test_customer_at_a_subdomain_address_accepts():
    customer = member(customer_org(primary_domain="northwind.example"))
    invitation = CustomerInvitationFactory(email="x@it.northwind.example")
    relationship = customer_invitation_accept(**acting(customer), invitation_id=invitation.pk)
    assert relationship.customer == customer.organization


def test_another_customer_company_cannot_accept_the_invitation():
    invitation = CustomerInvitationFactory(invitee=customer_org(primary_domain="buyer.example"))
    other = member(customer_org(primary_domain="rival.example"))
    with pytest.raises(ValidationError) as exc:
        customer_invitation_accept(**acting(other), invitation_id=invitation.pk)
    assert exc.value.messages[0] == (
        f"This invitation was sent to {invitation.email}, at another company than "
        f"{other.organization.legal_name}. Sign in with an account of that company to accept it."
    )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not CustomerRelationship.objects.exists()


def test_customer_cannot_accept_after_the_provider_relationship_ended():
    customer = member(customer_org())
    invitation = CustomerInvitationFactory(invitee=customer.organization)
    ProviderRelationship.objects.update(status=ProviderRelationship.Status.ENDED)
    with pytest.raises(ValidationError) as exc:
        customer_invitation_accept(**acting(customer), invitation_id=invitation.pk)
    assert "no longer works with" in exc.value.messages[0]
    assert not CustomerRelationship.objects.exists()


def test_reseller_resends_and_revokes_a_customer_invitation(client_for):
    invitation = CustomerInvitationFactory()
    client = client_for(member(invitation.organization))
    base = f"/indirect-providers/invite-customer/{invitation.pk}"
    assert client.post(f"{base}/resend/").status_code == 302
    assert OutboxMessage.objects.filter(to_email=invitation.email).count() == 1
    assert client.post(f"{base}/revoke/", {"confirmed": "yes"}).status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    response = client_for(member(customer_org())).get(f"/invitations/{invitation.key}/")
    assert "This invitation was withdrawn" in response.text


def test_another_reseller_cannot_resend_or_revoke_a_customer_invitation(client_for):
    invitation = CustomerInvitationFactory()
    outsider = client_for(member(ProviderRelationshipFactory().reseller))
    for action in ("resend", "revoke"):
        url = f"/indirect-providers/invite-customer/{invitation.pk}/{action}/"
        assert outsider.post(url).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == "pending"
    assert not OutboxMessage.objects.exists()
