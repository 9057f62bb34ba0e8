"""Demo delegated admin access (DOMAIN.md demo data). Idempotent: run it any number of times.

Northwind IT holds admin access to its three customers; Contoso Distribution holds it for Adatum
Retail only: Northwind removed it for Proseware Italia a few days ago, and Woodgrove Trattorie
accepted without it. Rows are written directly (not through the services), after the
relationships' demo."""

from __future__ import annotations

from django.db import transaction

from delegation.models import AdminAccess
from portal.models import Membership, Organization
from relationships.models import CustomerRelationship

from .delegation_gdap import seed_gdap_demo
from .portal import demo_days_ago

CONTOSO = "contoso-distribution.example"
NORTHWIND = "northwind-it.example"
# customer domain -> Contoso's admin access: "active", "removed" (by Northwind) or None.
CONTOSO_ACCESS = {
    "adatum-retail.example": "active",
    "proseware-italia.example": "removed",
    "woodgrove-trattorie.example": None,
}
REMOVED_DAYS_AGO = 4


def _org(domain: str) -> Organization | None:
    return Organization.objects.filter(primary_domain=domain).first()


@transaction.atomic
def seed() -> None:
    contoso, northwind = _org(CONTOSO), _org(NORTHWIND)
    if contoso is None or northwind is None:
        return
    nadia = (
        Membership.objects.filter(organization=northwind, global_admin=True)
        .select_related("user")
        .first()
    )
    for domain, contoso_access in CONTOSO_ACCESS.items():
        customer = _org(domain)
        if customer is None:
            continue
        relationship = CustomerRelationship.objects.filter(
            customer=customer, reseller=northwind, provider=contoso
        ).first()
        if relationship is None:
            continue
        granted_at = relationship.created_at
        AdminAccess.objects.get_or_create(
            customer=customer,
            partner=northwind,
            defaults={"reseller": northwind, "granted_at": granted_at},
        )
        if contoso_access is None:
            continue
        removed = contoso_access == "removed"
        AdminAccess.objects.get_or_create(
            customer=customer,
            partner=contoso,
            defaults={
                "reseller": northwind,
                "granted_at": granted_at,
                "status": AdminAccess.Status.REMOVED if removed else AdminAccess.Status.ACTIVE,
                "removed_at": demo_days_ago(REMOVED_DAYS_AGO) if removed else None,
                "removed_by": nadia.user if removed and nadia else None,
                "removed_by_organization": northwind if removed else None,
            },
        )
    # GDAP: Contoso asks Proseware (whose DAP Northwind removed) for granular roles instead.
    seed_gdap_demo()
