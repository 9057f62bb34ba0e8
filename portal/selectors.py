from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Market, Membership, Notification, Organization, OutboxMessage


def organization_has_admin_agent(*, organization: Organization) -> bool:
    return Membership.objects.filter(organization=organization, admin_agent=True).exists()


# Partner Center asks partners (not customers or the operator) to hold Admin agent.
PARTNER_KINDS = {Organization.Kind.RESELLER, Organization.Kind.PROVIDER}


def organization_needs_admin_agent(*, organization: Organization) -> bool:
    """The dashboard's set-up task: an enrolled partner where nobody holds Admin agent yet."""
    return (
        organization.kind in PARTNER_KINDS
        and organization.status != Organization.Status.DRAFT
        and not organization_has_admin_agent(organization=organization)
    )


def notification_list(*, organization: Organization) -> QuerySet[Notification]:
    return Notification.objects.filter(organization=organization)


def outbox_list_all_tenants() -> QuerySet[OutboxMessage]:
    """Every message, across tenants: only for the staff-only /outbox/ page."""
    return OutboxMessage.objects.defer("body_html", "body_text", "context")


def outbox_message_all_tenants(*, pk: int) -> OutboxMessage:
    """One message, any tenant's (the staff-only /outbox/ page); 404 when there is none."""
    return get_object_or_404(OutboxMessage, pk=pk)


def market_get(*, code: str) -> Market:
    """One CSP market by its ISO code (Market.DoesNotExist when there is none)."""
    return Market.objects.get(code=code)


def market_names() -> list[tuple[str, str]]:
    """Every CSP market as (code, name), by name: pairs, no model instance per country."""
    return list(Market.objects.order_by("name").values_list("code", "name"))


def market_and_region_names() -> tuple[list[tuple[str, str]], list[tuple[int, str]]]:
    """Every CSP market as (code, name) and every region holding one as (id, name), both by
    name, from one query."""
    rows = Market.objects.order_by("name").values_list("code", "name", "region_id", "region__name")
    markets = [(code, name) for code, name, _region, _region_name in rows]
    regions = sorted(
        {(region, region_name) for _c, _n, region, region_name in rows}, key=lambda r: r[1]
    )
    return markets, regions
