"""Data generator for benchmarks: `generate(n)` puts n rows into every list a page shows, for
one provider, one reseller and the operator's reviewer, and returns who signs in."""

from __future__ import annotations

from enrollment.models import PartnerId
from portal.models import Market, Notification, Organization, OutboxMessage, User
from relationships.models import ProviderRelationship
from tests.factories import OrganizationFactory, member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    ResellerInvitationFactory,
    provider_org,
    reseller_org,
)
from tests.verification.factories import reviewer, submitted_reseller
from verification.services import verification_case_open

# page label -> (who signs in, path)
PAGES: dict[str, tuple[str, str]] = {
    "dashboard (reseller)": ("reseller", "/dashboard/"),
    "user management": ("reseller", "/settings/users/"),
    "identifiers": ("reseller", "/settings/identifiers/"),
    "find a provider": ("reseller", "/find-a-provider/"),
    "indirect providers": ("reseller", "/indirect-providers/"),
    "customers (reseller)": ("reseller", "/customers/"),
    "indirect resellers": ("provider", "/indirect-resellers/"),
    "indirect resellers CSV": ("provider", "/indirect-resellers/?format=csv"),
    "customers (provider)": ("provider", "/customers/"),
    "customers CSV (provider)": ("provider", "/customers/?format=csv"),
    "review queue": ("reviewer", "/review/"),
    "outbox (staff)": ("reviewer", "/outbox/"),
}


def generate(n: int) -> dict[str, User]:
    """Each call makes a fresh provider/reseller pair, so sizes do not add up between calls."""
    provider = provider_org()
    reseller = reseller_org()
    reseller_admin = member(reseller, global_admin=True, admin_agent=True)
    provider_admin = member(provider)
    relationship = ProviderRelationshipFactory(provider=provider, reseller=reseller)
    the_reviewer = reviewer()
    the_reviewer.user.is_staff = True
    the_reviewer.user.save(update_fields=["is_staff"])
    italy = Market.objects.get(code="IT")
    for i in range(n):
        member(reseller, sales_agent=True)
        Notification.objects.create(organization=reseller, message=f"Notice {i}")
        PartnerId.objects.create(
            organization=reseller,
            mpn_id=f"{reseller.pk:04d}{i:05d}",
            country=italy,
            location_name=f"Office {i}",
        )
        CustomerRelationshipFactory(relationship=relationship)
        other = reseller_org()
        ProviderRelationship.objects.create(
            provider=provider, reseller=other, authorized_by=provider_admin.user
        )
        ResellerInvitationFactory(organization=provider, invited_by=provider_admin.user)
        provider_org(legal_name=f"Directory provider {reseller.pk}-{i}")
        verification_case_open(organization=submitted_reseller().organization, actor=None)
        OutboxMessage.objects.create(
            idempotency_key=f"bench-{reseller.pk}-{i}",
            to_email="x@bench.example",
            template="bench",
            subject=f"Bench {i}",
            body_text="x",
        )
    OrganizationFactory(kind=Organization.Kind.CUSTOMER)  # an unrelated tenant
    return {
        "reseller": reseller_admin.user,
        "provider": provider_admin.user,
        "reviewer": the_reviewer.user,
    }
