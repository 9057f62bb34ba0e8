"""`{% customer_admin_access customer %}`: on a partner's customer page (relationships'
customer_detail.html), who holds delegated admin access to the customer, the "Remove admin
access" buttons the viewer may use, and "Administer on behalf of". Computed here so that
relationships knows nothing of delegation (one query, for the viewer's own organization)."""

from __future__ import annotations

from typing import Any

from django import template

from portal.models import Organization
from portal.policy import Action, can

from ..selectors import admin_access_seen_by

register = template.Library()


@register.inclusion_tag("delegation/_customer_admin_access.html", takes_context=True)
def customer_admin_access(context: template.Context, customer: Organization) -> dict[str, Any]:
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if membership is None or membership.is_delegated:
        return {"shown": False}
    organization = membership.organization
    if organization.kind not in (Organization.Kind.RESELLER, Organization.Kind.PROVIDER):
        return {"shown": False}
    accesses = admin_access_seen_by(organization=organization, customer=customer)
    return {
        "shown": True,
        "customer": customer,
        "organization": organization,
        "accesses": accesses,
        "holds_access": any(
            a.partner_id == organization.pk and getattr(a, "effective", False) for a in accesses
        ),
        "can_administer": can(membership, Action.ADMINISTER_ON_BEHALF),
        "can_remove": can(membership, Action.MANAGE_DELEGATED_ACCESS),
        "csrf_token": context.get("csrf_token"),
    }
