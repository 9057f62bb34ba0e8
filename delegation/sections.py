"""Delegation's section of a partner's customer page (relationships' customer_detail.html, slot
"customer_detail", registered in DelegationConfig.ready()): who holds delegated admin access to
the customer, the "Remove admin access" buttons the viewer may use, "Administer on behalf of" and
"Request admin roles (GDAP)". Its table is `customer_admin_access()` as the viewer may know it
(the answer Partner relationships and the banner give): two queries."""

from __future__ import annotations

from typing import Any

from portal.models import Membership, Organization
from portal.policy import Action, can
from portal.types import AuthenticatedHttpRequest

from .selectors import customer_admin_access


def customer_admin_access_section(
    request: AuthenticatedHttpRequest, membership: Membership, customer: Organization
) -> tuple[str, dict[str, Any]] | None:
    if membership.is_delegated:
        return None
    organization = membership.organization
    if organization.kind not in (Organization.Kind.RESELLER, Organization.Kind.PROVIDER):
        return None
    accesses = customer_admin_access(customer, seen_by=organization)
    return (
        "delegation/_customer_admin_access.html",
        {
            "customer": customer,
            "organization": organization,
            "accesses": accesses,
            "holds_access": any(a.partner.pk == organization.pk for a in accesses),
            "can_administer": can(membership, Action.ADMINISTER_ON_BEHALF),
            "can_remove": can(membership, Action.MANAGE_DELEGATED_ACCESS),
        },
    )
