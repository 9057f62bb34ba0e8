"""GDAP test data: a customer its reseller shares with a provider, whose Admin agent asks for
roles and whose Global admin approves them, through the services."""

from __future__ import annotations

from dataclasses import dataclass

from delegation.models import GdapRelationship
from delegation.services.gdap import gdap_approve, gdap_request
from portal.models import Membership, Organization
from tests.factories import acting, member
from tests.relationships.factories import CustomerRelationshipFactory


@dataclass
class Gdap:
    provider: Organization
    reseller: Organization
    customer: Organization
    agent: Membership  # the provider's Admin agent
    customer_admin: Membership  # the customer's Global admin

    def request(
        self,
        roles: list[str],
        *,
        duration_days: int = 365,
        auto_extend: bool = False,
        by: Membership | None = None,
        name: str = "Support 2027",
    ) -> GdapRelationship:
        return gdap_request(
            **acting(by or self.agent),
            customer_id=self.customer.pk,
            name=name,
            roles=roles,
            duration_days=duration_days,
            auto_extend=auto_extend,
        )

    def approve(self, relationship: GdapRelationship) -> GdapRelationship:
        return gdap_approve(**acting(self.customer_admin), relationship_id=relationship.pk)

    def approved(self, roles: list[str], **kwargs) -> GdapRelationship:
        return self.approve(self.request(roles, **kwargs))


def gdap_setup() -> Gdap:
    shared = CustomerRelationshipFactory()
    agent = member(shared.provider, admin_agent=True)
    customer_admin = member(shared.customer)
    return Gdap(shared.provider, shared.reseller, shared.customer, agent, customer_admin)
