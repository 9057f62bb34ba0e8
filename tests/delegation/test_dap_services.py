"""Delegated admin access (DAP): no longer granted by accepting (GDAP first, see
test_gdap_on_acceptance.py), but the rows relationships accepted before hold: read by the
delegation source on every request, removed by the customer's Global admin or by the reseller."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from delegation.events import AuditType
from delegation.models import AdminAccess
from delegation.selectors import dap_access_for
from delegation.services.dap import admin_access_remove, administration_start
from portal.delegation import delegated_membership
from portal.models import AuditEvent, DelegatedRole, OutboxMessage
from portal.policy import Action, can
from relationships.models import CustomerInvitation
from relationships.services.customers import customer_invitation_accept
from relationships.services.provider_relationships import relationship_admin_access_remove
from tests.delegation.factories import dap_world
from tests.factories import acting, member
from tests.relationships.factories import (
    CustomerInvitationFactory,
    ProviderRelationshipFactory,
    customer_org,
)

pytestmark = pytest.mark.django_db


def test_an_existing_dap_grant_gives_the_reseller_and_the_provider_admin_access():
    world = dap_world()
    partners = set(
        AdminAccess.objects.filter(
            customer=world.customer, status=AdminAccess.Status.ACTIVE
        ).values_list("partner_id", flat=True)
    )
    assert partners == {world.reseller.pk, world.provider.pk}
    granted = AuditEvent.objects.filter(
        type=AuditType.ADMIN_ACCESS_GRANTED, organization=world.customer
    )
    assert granted.count() == 2


def test_provider_admin_agent_gets_delegated_admin_in_the_customers_account():
    world = dap_world()
    access = dap_access_for(world.provider_agent.user, world.customer)
    assert access is not None
    assert access.partner == world.provider
    assert access.roles == {DelegatedRole.DELEGATED_ADMIN}
    membership = delegated_membership(world.provider_agent.user, world.customer)
    assert membership is not None and membership.is_delegated
    assert can(membership, Action.MANAGE_USERS)
    assert not can(membership, Action.MANAGE_PARTNER_ACCESS)
    assert not can(membership, Action.VIEW_AUDIT_LOG)


def test_source_costs_one_query(django_assert_num_queries):
    world = dap_world()
    with django_assert_num_queries(1):
        assert dap_access_for(world.provider_agent.user, world.customer) is not None


def test_provider_sales_agent_gets_nothing():
    world = dap_world()
    assert dap_access_for(world.provider_sales.user, world.customer) is None


def test_a_partner_without_access_gets_nothing():
    world = dap_world()
    other = dap_world()
    assert dap_access_for(other.provider_agent.user, world.customer) is None
    assert dap_access_for(world.provider_agent.user, customer_org()) is None


def test_removing_the_providers_admin_access_on_the_relationship_ends_dap_on_its_customers():
    world = dap_world()
    relationship_admin_access_remove(
        **acting(member(world.reseller)),
        relationship_id=world.reseller.provider_relationships.get().pk,
    )
    assert dap_access_for(world.provider_agent.user, world.customer) is None
    # The reseller's own access stays.
    assert dap_access_for(world.reseller_agent.user, world.customer) is not None


def _access(world, partner) -> AdminAccess:
    return AdminAccess.objects.get(customer=world.customer, partner=partner)


def test_customer_global_admin_removes_a_partners_access_audited_and_emailed():
    world = dap_world()
    access = _access(world, world.provider)
    admin_access_remove(**acting(world.customer_admin), access_id=access.pk)
    access.refresh_from_db()
    assert access.status == AdminAccess.Status.REMOVED
    assert access.removed_by_organization == world.customer
    assert dap_access_for(world.provider_agent.user, world.customer) is None
    logs = set(
        AuditEvent.objects.filter(type=AuditType.ADMIN_ACCESS_REMOVED).values_list(
            "organization_id", flat=True
        )
    )
    assert logs == {world.customer.pk, world.provider.pk, world.reseller.pk}
    sent_to_orgs = set(
        OutboxMessage.objects.filter(template="delegation_admin_access_removed").values_list(
            "organization_id", flat=True
        )
    )
    assert {world.customer.pk, world.provider.pk} <= sent_to_orgs


def test_reseller_agent_removes_its_providers_access():
    world = dap_world()
    access = _access(world, world.provider)
    admin_access_remove(**acting(world.reseller_agent), access_id=access.pk)
    assert dap_access_for(world.provider_agent.user, world.customer) is None


def test_removing_twice_says_it_was_already_removed():
    world = dap_world()
    access = _access(world, world.provider)
    admin_access_remove(**acting(world.customer_admin), access_id=access.pk)
    with pytest.raises(ValidationError, match="already removed"):
        admin_access_remove(**acting(world.customer_admin), access_id=access.pk)


def test_a_sales_agent_cannot_remove_and_another_tenant_cannot_see_the_row():
    world = dap_world()
    access = _access(world, world.provider)
    with pytest.raises(PermissionDenied):
        admin_access_remove(**acting(world.provider_sales), access_id=access.pk)
    other = dap_world()
    with pytest.raises(AdminAccess.DoesNotExist):
        admin_access_remove(**acting(other.reseller_agent), access_id=access.pk)
    with pytest.raises(AdminAccess.DoesNotExist):
        admin_access_remove(**acting(other.customer_admin), access_id=access.pk)
    access.refresh_from_db()
    assert access.status == AdminAccess.Status.ACTIVE


def test_customer_user_cannot_remove_as_non_global_admin():
    world = dap_world()
    helper = member(world.customer, admin_agent=True)
    with pytest.raises(PermissionDenied):
        admin_access_remove(**acting(helper), access_id=_access(world, world.reseller).pk)


def test_administration_refused_after_removal_says_who_removed_it():
    world = dap_world()
    admin_access_remove(**acting(world.reseller_agent), access_id=_access(world, world.provider).pk)
    with pytest.raises(ValidationError) as exc:
        administration_start(**acting(world.provider_agent), customer_id=world.customer.pk)
    assert world.reseller.legal_name in exc.value.messages[0]
    assert "removed" in exc.value.messages[0]


def test_administration_of_a_customer_the_partner_does_not_work_with_is_not_found():
    world = dap_world()
    other = dap_world()
    with pytest.raises(type(world.customer).DoesNotExist):
        administration_start(**acting(world.provider_agent), customer_id=other.customer.pk)


def test_accepting_a_customer_invitation_grants_no_dap_any_more():
    customer_admin = member(customer_org())
    invitation = CustomerInvitationFactory(invitee=customer_admin.organization)
    customer_invitation_accept(
        **acting(customer_admin), invitation_id=invitation.pk, approve_gdap=True
    )
    assert not AdminAccess.objects.filter(customer=customer_admin.organization).exists()


def test_the_reseller_unticks_the_granular_admin_request_on_the_invitation_form(client_for):
    relationship = ProviderRelationshipFactory()
    client = client_for(member(relationship.reseller))
    page = client.get(reverse("relationships:invite_customer")).content.decode()
    assert "Request granular admin roles" in page
    assert "Helpdesk administrator and Billing reader" in page
    client.post(
        reverse("relationships:invite_customer"),
        {
            "provider": relationship.provider_id,
            "email": "owner@unticked.example",
            "company_name": "Unticked S.p.A.",
            "language": "en",
        },
    )
    invitation = CustomerInvitation.objects.get(email="owner@unticked.example")
    assert invitation.include_admin_access is False
