"""Demo relationships (DOMAIN.md demo data). Idempotent: run it any number of times.

Contoso Distribution (Europe) works with Northwind IT, which shares three customers with it;
Fabrikam Supply (United States) has a directory entry and sees none of it. Rows are written
directly (not through the services) so the demo does not depend on the order other apps seed
their state in."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from django.db import transaction

from portal.models import Market, Membership, Organization, Region
from relationships.models import (
    CustomerRelationship,
    ProviderProfile,
    ProviderRelationship,
    RelationshipEvent,
)

from .portal import CONTOSO_PARTNERSHIP_DAYS_AGO, demo_days_ago


class _Profile(TypedDict):
    regions: list[str]
    contact_email: str
    website: str
    description: str


PROFILES: dict[str, _Profile] = {
    "contoso-distribution.example": {
        "regions": ["Europe"],
        "contact_email": "partners@contoso-distribution.example",
        "website": "https://contoso-distribution.example",
        "description": (
            "Cloud distributor for European resellers: Microsoft 365, Azure and Dynamics 365, "
            "with billing, provisioning and 24/7 partner support."
        ),
    },
    "fabrikam-supply.example": {
        "regions": ["United States"],
        "contact_email": "partners@fabrikam-supply.example",
        "website": "https://fabrikam-supply.example",
        "description": "Indirect provider for resellers in the United States.",
    },
}

NEW_CUSTOMERS = [
    ("proseware-italia.example", "Proseware Italia S.r.l."),
    ("woodgrove-trattorie.example", "Woodgrove Trattorie S.p.A."),
]


def _org(domain: str) -> Organization | None:
    return Organization.objects.filter(primary_domain=domain).first()


def _admin_user(org: Organization):
    membership = (
        Membership.objects.filter(organization=org, global_admin=True)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


@transaction.atomic
def seed() -> None:
    for domain, spec in PROFILES.items():
        org = _org(domain)
        if org is None:
            continue
        profile, _created = ProviderProfile.objects.get_or_create(
            organization=org,
            defaults={
                "contact_email": spec["contact_email"],
                "website": spec["website"],
                "description": spec["description"],
            },
        )
        if not profile.regions.exists():
            profile.regions.set(Region.objects.filter(name__in=spec["regions"]))

    contoso = _org("contoso-distribution.example")
    northwind = _org("northwind-it.example")
    if contoso is None or northwind is None:
        return
    nadia = _admin_user(northwind)
    authorized_at = demo_days_ago(CONTOSO_PARTNERSHIP_DAYS_AGO)
    relationship = ProviderRelationship.objects.filter(
        provider=contoso, reseller=northwind, status=ProviderRelationship.Status.ACTIVE
    ).first()
    if relationship is None:
        relationship = ProviderRelationship.objects.create(
            provider=contoso,
            reseller=northwind,
            admin_access=True,
            authorized_by=nadia,
            authorized_at=authorized_at,
        )
        RelationshipEvent.objects.create(
            relationship=relationship,
            type=RelationshipEvent.Type.AUTHORIZED,
            actor=nadia,
            actor_organization=northwind,
            created_at=authorized_at,
        )

    italy = Market.objects.get(code="IT")
    customers = [_org("adatum-retail.example")]
    for domain, name in NEW_CUSTOMERS:
        org, _created = Organization.objects.get_or_create(
            primary_domain=domain,
            defaults={
                "legal_name": name,
                "kind": Organization.Kind.CUSTOMER,
                "status": Organization.Status.VERIFIED,
                "country": italy,
                "language": "it",  # Italian companies: their emails go out in Italian
                "enrolled_at": authorized_at,
            },
        )
        if org.enrolled_at is None:  # created with its Global admin (devtools.demo.portal)
            org.enrolled_at = authorized_at
            org.save(update_fields=["enrolled_at"])
        customers.append(org)
    for index, customer in enumerate(c for c in customers if c is not None):
        CustomerRelationship.objects.get_or_create(
            customer=customer,
            reseller=northwind,
            provider=contoso,
            status=CustomerRelationship.Status.ACTIVE,
            defaults={"created_at": authorized_at + timedelta(days=2 + index)},
        )
