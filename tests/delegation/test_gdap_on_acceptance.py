"""GDAP first: accepting a customer invitation grants no delegated admin access (DAP); with the
box left ticked the customer's Global admin approves the reseller's least-privilege granular
roles as it accepts (relationships sends the choice, delegation's receiver records it)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from delegation.events import AuditType
from delegation.models import AdminAccess, GdapRelationship
from portal.delegation import delegated_membership
from portal.models import AuditEvent, DelegatedRole
from portal.policy import ACCEPTANCE_GDAP_DAYS, Action, can
from relationships.models import CustomerRelationship
from tests.factories import member
from tests.relationships.factories import CustomerInvitationFactory, customer_org

pytestmark = pytest.mark.django_db
DEFAULT_ROLES = [DelegatedRole.HELPDESK_ADMINISTRATOR, DelegatedRole.BILLING_READER]


def _invited(**kwargs):
    customer_admin = member(customer_org())
    invitation = CustomerInvitationFactory(invitee=customer_admin.organization, **kwargs)
    return customer_admin, invitation


def _accept(client, invitation, **data):
    return client.post(
        f"/invitations/{invitation.key}/", {"action": "accept", "confirm": "on", **data}
    )


def test_the_acceptance_page_offers_the_roles_ticked(client_for):
    customer_admin, invitation = _invited()
    page = client_for(customer_admin).get(f"/invitations/{invitation.key}/").text
    assert "Also approve the granular admin roles the reseller asks for" in page
    assert "Helpdesk administrator and Billing reader, for 365 days" in page
    box = page.split('name="approve_gdap"')[1].split(">")[0]
    assert "checked" in box


def test_accepting_with_the_box_approves_the_default_roles_and_grants_no_dap(client_for):
    customer_admin, invitation = _invited()
    response = _accept(client_for(customer_admin), invitation, approve_gdap="on")
    assert response.status_code == 302
    customer = customer_admin.organization
    assert not AdminAccess.objects.filter(customer=customer).exists()
    gdap = GdapRelationship.objects.get(customer=customer)
    assert gdap.partner == invitation.organization
    assert gdap.status == GdapRelationship.Status.ACTIVE
    assert gdap.roles == DEFAULT_ROLES
    assert gdap.duration_days == ACCEPTANCE_GDAP_DAYS == 365
    assert gdap.ends_at == gdap.starts_at + timedelta(days=365)
    assert gdap.answered_by == customer_admin.user
    assert gdap.requested_by == invitation.invited_by
    assert not gdap.auto_extend
    approved = AuditEvent.objects.get(
        type=AuditType.GDAP_APPROVED, organization=customer, details__gdap=gdap.pk
    )
    assert approved.actor == customer_admin.user
    assert approved.details["customer_relationship"] == (
        CustomerRelationship.objects.get(customer=customer).pk
    )
    assert AuditEvent.objects.filter(
        type=AuditType.GDAP_APPROVED, organization=invitation.organization, details__gdap=gdap.pk
    ).exists()
    assert AuditEvent.objects.filter(type=AuditType.GDAP_REQUESTED, details__gdap=gdap.pk).exists()


def test_the_approved_roles_allow_only_their_rows():
    customer_admin, invitation = _invited()
    from relationships.services.customers import customer_invitation_accept

    customer_invitation_accept(
        actor=customer_admin.user,
        organization=customer_admin.organization,
        invitation_id=invitation.pk,
        approve_gdap=True,
    )
    agent = member(invitation.organization, admin_agent=True)
    membership = delegated_membership(agent.user, customer_admin.organization)
    assert membership is not None
    assert membership.delegated_roles == frozenset(DEFAULT_ROLES)
    assert can(membership, Action.RESET_USER_PASSWORD)
    assert can(membership, Action.VIEW_BILLING)
    assert not can(membership, Action.MANAGE_USERS)


def test_accepting_with_the_box_unticked_creates_nothing(client_for):
    customer_admin, invitation = _invited()
    response = _accept(client_for(customer_admin), invitation)
    assert response.status_code == 302
    customer = customer_admin.organization
    assert CustomerRelationship.objects.filter(customer=customer).exists()
    assert not GdapRelationship.objects.filter(customer=customer).exists()
    assert not AdminAccess.objects.filter(customer=customer).exists()


def test_an_invitation_without_the_request_offers_no_box_and_creates_nothing(client_for):
    customer_admin, invitation = _invited(include_admin_access=False)
    client = client_for(customer_admin)
    assert 'name="approve_gdap"' not in client.get(f"/invitations/{invitation.key}/").text
    assert _accept(client, invitation, approve_gdap="on").status_code == 302
    customer = customer_admin.organization
    assert not GdapRelationship.objects.filter(customer=customer).exists()
    assert not AdminAccess.objects.filter(customer=customer).exists()


# The invitations inbox (/received-invitations/, the dashboard's panel): the same choice on the
# row of a customer invitation that asks for roles, sent with its one-click Accept.


def _inbox_accept(client, invitation, **data):
    return client.post(
        f"/received-invitations/{invitation.pk}/accept/", {"back": "received", **data}
    )


@pytest.mark.parametrize("path", ["/received-invitations/", "/dashboard/"])
def test_the_inbox_row_offers_the_roles_ticked_with_a_label_tied_to_the_box(client_for, path):
    customer_admin, invitation = _invited()
    page = client_for(customer_admin).get(path).text
    box_id = f"id_inbox_customer_{invitation.pk}_approve_gdap"
    box = page.split('name="approve_gdap"')[1].split(">")[0]
    assert 'type="checkbox"' in page.split('name="approve_gdap"')[0].rsplit("<input", 1)[1]
    assert "checked" in box
    assert f'id="{box_id}"' in box
    assert f'aria-describedby="{box_id}_helptext"' in box
    assert f'form="inbox-accept-customer-{invitation.pk}"' in box
    assert (
        f'<label class="form-check-label" for="{box_id}">'
        "Also approve the granular admin roles the reseller asks for</label>"
    ) in page
    assert f'id="{box_id}_helptext"' in page
    assert "Helpdesk administrator and Billing reader, for 365 days" in page
    accept_form = page.split(f'id="inbox-accept-customer-{invitation.pk}"')[0].rsplit("<form", 1)[1]
    assert f"/received-invitations/{invitation.pk}/accept/" in accept_form


def test_accepting_from_the_inbox_with_the_box_approves_the_roles(client_for):
    customer_admin, invitation = _invited()
    response = _inbox_accept(client_for(customer_admin), invitation, approve_gdap="on")
    assert response.status_code == 302
    customer = customer_admin.organization
    assert CustomerRelationship.objects.filter(customer=customer).exists()
    gdap = GdapRelationship.objects.get(customer=customer)
    assert gdap.partner == invitation.organization
    assert gdap.status == GdapRelationship.Status.ACTIVE
    assert gdap.roles == DEFAULT_ROLES
    assert gdap.duration_days == ACCEPTANCE_GDAP_DAYS
    assert gdap.answered_by == customer_admin.user
    assert not AdminAccess.objects.filter(customer=customer).exists()


def test_accepting_from_the_inbox_with_the_box_unticked_approves_none(client_for):
    customer_admin, invitation = _invited()
    response = _inbox_accept(client_for(customer_admin), invitation)
    assert response.status_code == 302
    customer = customer_admin.organization
    assert CustomerRelationship.objects.filter(customer=customer).exists()
    assert not GdapRelationship.objects.filter(customer=customer).exists()
    assert not AdminAccess.objects.filter(customer=customer).exists()


def test_the_inbox_offers_no_box_when_the_invitation_asks_for_no_roles(client_for):
    customer_admin, invitation = _invited(include_admin_access=False)
    client = client_for(customer_admin)
    page = client.get("/received-invitations/").text
    assert f"/received-invitations/{invitation.pk}/accept/" in page
    assert 'name="approve_gdap"' not in page
    assert _inbox_accept(client, invitation, approve_gdap="on").status_code == 302
    customer = customer_admin.organization
    assert CustomerRelationship.objects.filter(customer=customer).exists()
    assert not GdapRelationship.objects.filter(customer=customer).exists()
