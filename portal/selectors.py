from __future__ import annotations

from django.db.models import QuerySet

from .models import Market, Membership, Notification, Organization, OutboxMessage, Region


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


def market_names() -> list[tuple[str, str]]:
    """Every CSP market as (code, name), by name: pairs, no model instance per country."""
    return list(Market.objects.order_by("name").values_list("code", "name"))


def region_names() -> list[tuple[int, str]]:
    """Every CSP region as (id, name), by name."""
    return list(Region.objects.order_by("name").values_list("pk", "name"))
