"""The invitation inbox: invitations addressed to a company, answered where they are listed,
and every lifecycle step on both sides and under Recent changes."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relationships.models import (
    CustomerRelationship,
    InvitationEvent,
    InvitationStatus,
    ProviderRelationship,
)
from relationships.services.expiry import invitations_expire_due
from relationships.services.reseller_invitations import (
    reseller_invitation_create,
    reseller_invitation_resend,
    reseller_invitation_revoke,
)
from tests.factories import member
from tests.queries import warm
from tests.relationships.factories import (
    CustomerInvitationFactory,
    ProviderRelationshipFactory,
    ResellerInvitationFactory,
    customer_org,
    provider_org,
    reseller_org,
)

pytestmark = pytest.mark.django_db


def test_a_providers_pending_invitation_shows_on_the_resellers_dashboard_and_providers_page(
    client_for,
):
    reseller = reseller_org(primary_domain="northwind-inbox.example")
    invitation = ResellerInvitationFactory(email="boss@eu.northwind-inbox.example")
    client = client_for(member(reseller))
    provider = invitation.organization.legal_name
    dashboard = client.get("/dashboard/").text
    assert "Invitations waiting for your answer" in dashboard
    assert provider in dashboard
    providers_page = client.get("/indirect-providers/").text
    assert provider in providers_page
    assert f"/received-invitations/{invitation.pk}/accept/" in providers_page


def test_accepting_from_the_inbox_authorizes_the_provider_and_both_sides_see_it(client_for):
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    client = client_for(member(reseller))
    response = client.post(f"/received-invitations/{invitation.pk}/accept/", {"back": "dashboard"})
    assert response.status_code == 302
    assert ProviderRelationship.objects.filter(
        provider=invitation.organization, reseller=reseller, status="active"
    ).exists()
    assert "Invitation accepted" in client.get("/indirect-providers/").text
    sender = client_for(member(invitation.organization, global_admin=True))
    page = sender.get("/indirect-resellers/").text
    assert "Invitation accepted" in page
    assert reseller.legal_name in page


def test_declining_from_the_inbox_closes_the_invitation_and_the_sender_sees_declined(client_for):
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    client_for(member(reseller)).post(
        f"/received-invitations/{invitation.pk}/decline/", {"confirmed": "yes"}
    )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    page = client_for(member(invitation.organization, global_admin=True)).get(
        "/indirect-resellers/invitations/"
    )
    assert "Invitation declined" in page.text
    assert ">Declined<" in page.text


def test_a_sales_agent_cannot_accept_and_is_told_why(client_for):
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(invitee=reseller)
    response = client_for(member(reseller, global_admin=False, sales_agent=True)).post(
        f"/received-invitations/{invitation.pk}/accept/", follow=True
    )
    assert "Only a Global admin or an Admin agent" in response.text
    assert not ProviderRelationship.objects.exists()


def test_an_invitation_to_another_company_is_not_found_and_stays_pending(client_for):
    reseller = reseller_org()
    invitation = ResellerInvitationFactory(email="boss@someone-else.example")
    client = client_for(member(reseller))
    assert client.post(f"/received-invitations/{invitation.pk}/accept/").status_code == 404
    assert invitation.organization.legal_name not in client.get("/received-invitations/").text
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_a_similar_domain_is_not_the_same_company(client_for):
    reseller = reseller_org(primary_domain="wind.example")
    invitation = ResellerInvitationFactory(email="boss@northwind.example")
    assert (
        client_for(member(reseller))
        .post(f"/received-invitations/{invitation.pk}/decline/")
        .status_code
        == 404
    )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_every_lifecycle_step_is_listed_on_both_sides_and_revoked_and_expired_stay_visible(
    client_for,
):
    provider = provider_org()
    provider_admin = member(provider, global_admin=True)
    reseller = reseller_org(primary_domain="lifecycle.example")
    revoked = reseller_invitation_create(
        actor=provider_admin.user, organization=provider, email="a@lifecycle.example"
    )
    reseller_invitation_resend(
        actor=provider_admin.user, organization=provider, invitation_id=revoked.pk
    )
    reseller_invitation_revoke(
        actor=provider_admin.user, organization=provider, invitation_id=revoked.pk
    )
    expired = reseller_invitation_create(
        actor=provider_admin.user, organization=provider, email="b@lifecycle.example"
    )
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert invitations_expire_due() == 1
        types = set(InvitationEvent.objects.values_list("type", flat=True))
        assert types == {"sent", "resent", "revoked", "expired"}
        sender_page = client_for(provider_admin).get("/indirect-resellers/invitations/").text
        received = client_for(member(reseller)).get("/received-invitations/").text
    for page in (sender_page, received):
        assert ">Revoked<" in page
        assert ">Expired<" in page
        for step in ("Invitation sent", "Invitation sent again", "Invitation revoked"):
            assert step in page
        assert "Invitation expired" in page
    assert expired.email in received


def test_a_customer_answers_its_reseller_invitation_from_the_dashboard(client_for):
    customer = customer_org(primary_domain="adatum-inbox.example")
    invitation = CustomerInvitationFactory(invitee=customer)
    client = client_for(member(customer, global_admin=True))
    dashboard = client.get("/dashboard/").text
    assert invitation.organization.legal_name in dashboard
    assert f"/received-invitations/{invitation.pk}/accept/" in dashboard
    client.post(f"/received-invitations/{invitation.pk}/accept/", {"back": "dashboard"})
    assert CustomerRelationship.objects.filter(customer=customer, status="active").exists()
    page = client_for(member(invitation.organization, global_admin=True)).get(
        "/indirect-providers/invite-customer/"
    )
    assert ">Accepted<" in page.text


def test_the_inbox_pages_keep_a_fixed_number_of_queries(client_for):
    reseller = reseller_org(primary_domain="many.example")
    provider = provider_org()
    ProviderRelationshipFactory(provider=provider, reseller=reseller)
    client = client_for(member(reseller))
    ResellerInvitationFactory(invitee=reseller)
    warm(client)
    counts = []
    for _round in range(2):
        for path in ("/received-invitations/", "/dashboard/", "/indirect-providers/"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200
            counts.append(len(queries))
        ResellerInvitationFactory.create_batch(2, invitee=reseller)
    assert counts[:3] == counts[3:], counts
