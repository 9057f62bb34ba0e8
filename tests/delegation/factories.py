"""A reseller, its provider and a customer that accepted their invitation (through the real
service), with agents. Accepting grants no delegated admin access (DAP) any more: `dap_world`
gives the reseller and the provider the DAP rows relationships accepted before DAP's retirement
held (what the demo keeps for Contoso and Adatum), through delegation's own grant."""

from __future__ import annotations

from dataclasses import dataclass

from delegation.services.dap import admin_access_grant
from portal.models import Membership, Organization
from relationships.models import CustomerRelationship
from relationships.services.customers import customer_invitation_accept
from tests.factories import acting, member
from tests.relationships.factories import (
    CustomerInvitationFactory,
    ProviderRelationshipFactory,
    customer_org,
)


@dataclass
class World:
    provider: Organization
    reseller: Organization
    customer: Organization
    shared: CustomerRelationship
    customer_admin: Membership
    provider_agent: Membership  # Admin agent
    provider_sales: Membership  # Sales agent
    reseller_agent: Membership  # Admin agent
    provider_admin: Membership  # Global admin


def dap_world(**customer_kwargs) -> World:
    relationship = ProviderRelationshipFactory()
    customer_admin = member(customer_org(**customer_kwargs))
    invitation = CustomerInvitationFactory(
        relationship=relationship, invitee=customer_admin.organization
    )
    shared = customer_invitation_accept(**acting(customer_admin), invitation_id=invitation.pk)
    admin_access_grant(actor=customer_admin.user, relationship=shared)
    return World(
        provider=relationship.provider,
        reseller=relationship.reseller,
        customer=customer_admin.organization,
        shared=shared,
        customer_admin=customer_admin,
        provider_agent=member(relationship.provider, admin_agent=True),
        provider_sales=member(relationship.provider, sales_agent=True),
        reseller_agent=member(relationship.reseller, admin_agent=True),
        provider_admin=member(relationship.provider),
    )
