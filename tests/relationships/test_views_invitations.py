from datetime import timedelta

import pytest
from django.utils import timezone

from portal.models import Membership, Notification, Organization, OutboxMessage
from relationships.models import (
    CustomerRelationship,
    InvitationStatus,
    ProviderRelationship,
)
from tests.factories import UserFactory, member
from tests.relationships.factories import (
    CustomerInvitationFactory,
    ResellerInvitationFactory,
    reseller_org,
)

pytestmark = pytest.mark.django_db


def url(invitation) -> str:
    return f"/invitations/{invitation.key}/"


def authorize(client, invitation, **data):
    return client.post(url(invitation), {"action": "authorize", "confirm": "on", **data})


def test_a_signed_out_invitee_sees_who_invited_them_and_ways_in_that_come_back(client):
    invitation = ResellerInvitationFactory()
    response = client.get(url(invitation))
    assert response.status_code == 200
    text = response.text
    assert invitation.organization.legal_name in text
    assert invitation.invited_by.get_full_name() in text
    assert "What accepting means" in text and invitation.email in text
    back = f"?next=%2Finvitations%2F{invitation.key}%2F"
    assert f'href="/accounts/login/{back}"' in text
    assert f'href="/accounts/signup/{back}"' in text
    assert 'name="action"' not in text  # nothing to accept until signed in


def test_a_signed_out_customer_invitee_sees_the_reseller_and_its_provider(client):
    invitation = CustomerInvitationFactory()
    text = client.get(url(invitation)).text
    assert invitation.organization.legal_name in text and invitation.provider.legal_name in text
    assert "Sign in to see the invitation" in text


def test_a_signed_out_visitor_with_a_bad_key_learns_nothing(client):
    response = client.get("/invitations/" + "x" * 43 + "/")
    assert response.status_code == 404


def test_opening_the_link_names_the_provider_and_what_authorizing_grants_and_changes_nothing(
    client_for,
):
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    response = client_for(member(reseller)).get(url(invitation))
    assert response.status_code == 200
    text = response.text
    provider = invitation.organization.legal_name
    assert f"Authorize {provider} as your indirect provider" in text
    assert "can place orders and add subscriptions for the customers you share with it" in text
    assert "gets admin access to your company's account" in text
    assert "Authorize indirect provider" in text
    assert "Decline" in text
    assert 'type="checkbox"' in text
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not ProviderRelationship.objects.exists()


def test_authorizing_creates_the_relationship_and_both_lists_show_it(client_for):
    reseller_admin = member(reseller_org())
    invitation = ResellerInvitationFactory(invitee=reseller_admin.organization)
    client = client_for(reseller_admin)
    response = authorize(client, invitation)
    assert response.status_code == 302
    assert response["Location"] == "/indirect-providers/"
    relationship = ProviderRelationship.objects.get()
    assert relationship.reseller == reseller_admin.organization
    assert invitation.organization.legal_name in client.get("/indirect-providers/").text
    provider_client = client_for(member(invitation.organization))
    assert (
        reseller_admin.organization.legal_name in provider_client.get("/indirect-resellers/").text
    )
    assert Notification.objects.filter(organization=invitation.organization).count() == 1


def test_authorizing_without_ticking_the_box_is_refused_beside_the_field(client_for):
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    response = client_for(member(reseller)).post(url(invitation), {"action": "authorize"})
    assert response.status_code == 400
    assert "Tick the box to confirm the authorization." in response.text
    assert 'id="error-summary"' in response.text
    assert 'aria-describedby="id_confirm_error"' in response.text
    assert not ProviderRelationship.objects.exists()


def test_double_submit_creates_one_relationship_and_says_already_accepted(client_for):
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    client = client_for(member(reseller))
    authorize(client, invitation)
    second = authorize(client, invitation)
    assert second.status_code == 200
    assert "This invitation was already accepted" in second.text
    assert ProviderRelationship.objects.count() == 1


def test_second_tab_gets_already_accepted_page_on_get(client_for):
    admin = member(reseller_org())
    invitation = ResellerInvitationFactory(invitee=admin.organization)
    authorize(client_for(admin), invitation)
    response = client_for(admin).get(url(invitation))
    assert "This invitation was already accepted" in response.text


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("wrong_role", "Only a Global admin or an Admin agent of an indirect reseller"),
        ("unverified", "is not verified yet"),
        ("no_agreement", "has not accepted the current Partner Agreement"),
        ("other_region", "is in the CSP region United States"),
    ],
)
def test_each_refusal_shows_its_message_on_get_and_post_and_changes_nothing(
    client_for, setup, expected
):
    if setup == "wrong_role":
        membership = member(reseller_org(), sales_agent=True)
    elif setup == "unverified":
        membership = member(reseller_org(status=Organization.Status.SUBMITTED))
    elif setup == "no_agreement":
        membership = member(reseller_org(agreement=False))
    else:
        membership = member(reseller_org(country="US"))
    invitation = ResellerInvitationFactory(invitee=membership.organization)
    client = client_for(membership)
    page = client.get(url(invitation))
    assert expected in page.text
    assert "Authorize indirect provider</button>" not in page.text
    response = authorize(client, invitation)
    assert response.status_code == 403
    assert expected in response.text
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not ProviderRelationship.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_global_admin_of_another_reseller_holding_the_link_is_refused_and_nothing_changes(
    client_for,
):
    invitation = ResellerInvitationFactory(invitee=reseller_org(primary_domain="northwind.example"))
    other = reseller_org(primary_domain="fabrikam.example")  # verified, Italy: same region
    client = client_for(member(other))
    expected = (
        f"This invitation was sent to {invitation.email}, at another company than "
        f"{other.legal_name}. Sign in with an account of that company to accept it."
    )
    page = client.get(url(invitation))
    assert expected in page.text
    assert "Authorize indirect provider</button>" not in page.text
    response = authorize(client, invitation)
    assert response.status_code == 403
    assert expected in response.text
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.reseller is None
    assert not ProviderRelationship.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_bad_key_gets_its_own_page(client_for):
    client = client_for(member(reseller_org()))
    response = client.get("/invitations/" + "x" * 43 + "/")
    assert response.status_code == 404
    assert "This invitation link is not valid" in response.text
    assert client.get("/invitations/short/").status_code == 404


def test_expired_key_gets_its_own_page_and_post_changes_nothing(client_for):
    invitation = ResellerInvitationFactory(expires_at=timezone.now() - timedelta(minutes=1))
    client = client_for(member(reseller_org()))
    page = client.get(url(invitation))
    assert page.status_code == 410
    assert "This invitation has expired" in page.text
    assert f"Ask {invitation.organization.legal_name} to send the invitation again" in page.text
    response = authorize(client, invitation)
    assert "This invitation has expired" in response.text
    assert not ProviderRelationship.objects.exists()


def test_revoked_key_gets_its_own_page(client_for):
    invitation = ResellerInvitationFactory(status=InvitationStatus.REVOKED)
    client = client_for(member(reseller_org()))
    assert "This invitation was withdrawn" in client.get(url(invitation)).text
    assert "This invitation was withdrawn" in authorize(client, invitation).text
    assert not ProviderRelationship.objects.exists()


def test_declining_from_the_page(client_for):
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    client = client_for(member(reseller))
    response = client.post(url(invitation), {"action": "decline", "confirmed": "yes"})
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert "This invitation was declined" in client.get(url(invitation)).text


def test_someone_from_another_company_cannot_decline_a_customer_invitation(client):
    from tests.factories import UserFactory

    invitation = CustomerInvitationFactory(email="owner@trattoria-due.example")
    client.force_login(UserFactory(email="someone@elsewhere.example"))
    response = client.post(url(invitation), {"action": "decline", "confirmed": "yes"}, follow=True)
    assert "Only that company can answer it" in response.text
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


# Customer invitations -----------------------------------------------------------------------


def test_customer_invitation_page_explains_both_relationships(client_for):
    customer = member(
        Organization.objects.create(
            kind=Organization.Kind.CUSTOMER, legal_name="Buyer SpA", primary_domain="buyer.example"
        )
    )
    invitation = CustomerInvitationFactory(invitee=customer.organization)
    text = client_for(customer).get(url(invitation)).text
    assert "You cannot accept this invitation" not in text
    assert invitation.organization.legal_name in text
    assert invitation.provider.legal_name in text
    assert "at the same time" in text


def test_new_customer_creates_its_organization_then_accepts_both_relationships(client):
    invitation = CustomerInvitationFactory(
        company_name="Trattoria Uno S.r.l.", email="owner@trattoria-uno.example"
    )
    user = UserFactory(email="owner@trattoria-uno.example")
    client.force_login(user)
    page = client.get(url(invitation))
    assert "Create your company's customer account" in page.text
    assert 'value="Trattoria Uno S.r.l."' in page.text
    response = client.post(
        url(invitation),
        {"action": "create_organization", "legal_name": "Trattoria Uno S.r.l.", "country": "IT"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert membership.global_admin
    assert membership.organization.kind == Organization.Kind.CUSTOMER
    assert membership.organization.primary_domain == "trattoria-uno.example"
    response = client.post(url(invitation), {"action": "accept", "confirm": "on"})
    assert response.status_code == 302
    relationship = CustomerRelationship.objects.get()
    assert relationship.customer == membership.organization
    assert relationship.reseller == invitation.organization
    assert relationship.provider == invitation.provider
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    again = client.post(url(invitation), {"action": "accept", "confirm": "on"})
    assert "This invitation was already accepted" in again.text
    assert CustomerRelationship.objects.count() == 1


def test_customer_country_choices_are_the_resellers_region(client):
    invitation = CustomerInvitationFactory()
    client.force_login(UserFactory(email="a@fresh-customer.example"))
    response = client.post(
        url(invitation),
        {"action": "create_organization", "legal_name": "Fresh", "country": "US"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert not Organization.objects.filter(primary_domain="fresh-customer.example").exists()


def test_reseller_member_cannot_accept_a_customer_invitation(client_for):
    invitation = CustomerInvitationFactory()
    response = client_for(member(reseller_org())).post(
        url(invitation), {"action": "accept", "confirm": "on"}
    )
    assert response.status_code == 403
    assert "Only the Global admin of a customer company can accept" in response.text
    assert not CustomerRelationship.objects.exists()


def test_customer_invitation_refused_once_reseller_ended_the_provider_relationship(client_for):
    customer = member(
        Organization.objects.create(
            kind=Organization.Kind.CUSTOMER, legal_name="Late SpA", primary_domain="late.example"
        )
    )
    invitation = CustomerInvitationFactory(invitee=customer.organization)
    ProviderRelationship.objects.update(status=ProviderRelationship.Status.ENDED)
    response = client_for(customer).post(url(invitation), {"action": "accept", "confirm": "on"})
    assert "no longer works with" in response.text
    assert not CustomerRelationship.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_global_admin_of_another_customer_holding_the_link_is_refused_and_nothing_changes(
    client_for,
):
    invitee = Organization.objects.create(
        kind=Organization.Kind.CUSTOMER, legal_name="Buyer SpA", primary_domain="buyer.example"
    )
    invitation = CustomerInvitationFactory(invitee=invitee)
    other = Organization.objects.create(
        kind=Organization.Kind.CUSTOMER, legal_name="Rival SpA", primary_domain="rival.example"
    )
    client = client_for(member(other))
    expected = (
        f"This invitation was sent to {invitation.email}, at another company than Rival SpA. "
        "Sign in with an account of that company to accept it."
    )
    page = client.get(url(invitation))
    assert expected in page.text
    assert 'value="accept">' not in page.text
    response = client.post(url(invitation), {"action": "accept", "confirm": "on"})
    assert response.status_code == 403
    assert expected in response.text
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert not CustomerRelationship.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_someone_from_another_company_cannot_create_a_customer_account_from_the_link(client):
    from portal.models import Organization
    from tests.factories import UserFactory

    invitation = CustomerInvitationFactory(email="owner@trattoria-tre.example")
    client.force_login(UserFactory(email="someone@elsewhere.example"))
    response = client.post(
        url(invitation),
        {"action": "create_organization", "legal_name": "Elsewhere S.r.l.", "country": "IT"},
    )
    assert response.status_code == 400
    assert "Only that company can answer it" in response.text
    assert not Organization.objects.filter(primary_domain="elsewhere.example").exists()
