"""Reads. Each list is one query per page (plus a fixed number of prefetches), whatever its size.

Two selectors cross tenants and say so: `customers_shared_with_provider` (a provider sees the
customers resellers share with it while both relationships are active) and `provider_directory`
(every reseller reads the public directory)."""

from __future__ import annotations

import secrets

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from portal.models import Market, Organization, Region

from .models import (
    CustomerInvitation,
    CustomerRelationship,
    InvitationStatus,
    Order,
    ProviderProfile,
    ProviderRelationship,
    RelationshipEvent,
    ResellerInvitation,
)

KEY_LENGTH = 43  # secrets.token_urlsafe(32)
_KEY_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def invitation_by_key(key: str) -> ResellerInvitation | CustomerInvitation | None:
    """The provider or customer invitation with this key (cross-tenant: the key is the
    credential). The stored key is compared in constant time after the indexed lookup."""
    if len(key) != KEY_LENGTH or not set(key) <= _KEY_ALPHABET:
        return None
    for model, related in (
        (ResellerInvitation, ("organization", "invited_by")),
        (CustomerInvitation, ("organization", "provider", "invited_by")),
    ):
        invitation = model.objects.select_related(*related).filter(key=key).first()
        if invitation is not None and secrets.compare_digest(invitation.key, key):
            return invitation
    return None


def provider_directory(*, search: str = "", region_id: int | None = None) -> QuerySet:
    """Every provider's directory entry, readable by any reseller (public within the portal)."""
    qs = ProviderProfile.objects.select_related("organization").prefetch_related(
        Prefetch("regions", queryset=Region.objects.order_by("name")),
        Prefetch("regions__markets", queryset=Market.objects.order_by("name")),
    )
    qs = qs.filter(organization__kind=Organization.Kind.PROVIDER).exclude(
        organization__status=Organization.Status.CLOSED
    )
    if search:
        qs = qs.filter(
            Q(organization__legal_name__icontains=search)
            | Q(description__icontains=search)
            | Q(regions__name__icontains=search)
            | Q(regions__markets__name__icontains=search)
        ).distinct()
    if region_id:
        qs = qs.filter(regions__pk=region_id).distinct()
    return qs.order_by("organization__legal_name", "pk")


def _shared_customer_count(*, provider_field: str, reseller_field: str):
    return Coalesce(
        Subquery(
            CustomerRelationship.objects.filter(
                provider=OuterRef(provider_field),
                reseller=OuterRef(reseller_field),
                status=CustomerRelationship.Status.ACTIVE,
            )
            .order_by()
            .values("provider")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )


def resellers_of_provider(*, provider: Organization) -> QuerySet[ProviderRelationship]:
    """The provider's Indirect resellers page: its relationships, newest first, with the number
    of customers each reseller shares with it."""
    return (
        ProviderRelationship.objects.filter(provider=provider)
        .select_related("reseller", "reseller__country")
        .annotate(
            customer_count=_shared_customer_count(
                provider_field="provider", reseller_field="reseller"
            )
        )
    )


def providers_of_reseller(*, reseller: Organization) -> QuerySet[ProviderRelationship]:
    return (
        ProviderRelationship.objects.filter(reseller=reseller)
        .select_related("provider", "provider__provider_profile")
        .annotate(
            customer_count=_shared_customer_count(
                provider_field="provider", reseller_field="reseller"
            )
        )
    )


def active_providers_of_reseller(*, reseller: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(
        reseller_relationships__reseller=reseller,
        reseller_relationships__status=ProviderRelationship.Status.ACTIVE,
    ).order_by("legal_name")


def pending_reseller_invitations(*, provider: Organization) -> QuerySet[ResellerInvitation]:
    """Pending invitations, expired ones included (shown as expired, with Resend)."""
    return ResellerInvitation.objects.filter(
        organization=provider, status=InvitationStatus.PENDING
    ).order_by("expires_at", "pk")


def pending_customer_invitations(*, reseller: Organization) -> QuerySet[CustomerInvitation]:
    return (
        CustomerInvitation.objects.filter(organization=reseller, status=InvitationStatus.PENDING)
        .select_related("provider")
        .order_by("expires_at", "pk")
    )


def customers_of_reseller(*, reseller: Organization) -> QuerySet[CustomerRelationship]:
    """The reseller's customers: one row per customer and the provider it is shared with."""
    return CustomerRelationship.objects.filter(
        reseller=reseller, status=CustomerRelationship.Status.ACTIVE
    ).select_related("customer", "customer__country", "provider")


def customers_shared_with_provider(*, provider: Organization) -> QuerySet[CustomerRelationship]:
    """Cross-tenant: the customers resellers share with `provider`. A row counts only while the
    customer relationship is active AND the provider still holds an active relationship with
    that reseller; nothing else of a reseller's customers is visible to a provider."""
    active_pair = ProviderRelationship.objects.filter(
        provider=provider,
        reseller=OuterRef("reseller"),
        status=ProviderRelationship.Status.ACTIVE,
    )
    return (
        CustomerRelationship.objects.filter(
            provider=provider, status=CustomerRelationship.Status.ACTIVE
        )
        .filter(Exists(active_pair))
        .select_related("customer", "customer__country", "reseller")
    )


def orders_for_customer(*, organization: Organization, customer: Organization) -> QuerySet[Order]:
    """Orders the viewing provider placed for the customer, or (for a reseller) every order
    placed for the customer through it."""
    field = "provider" if organization.kind == Organization.Kind.PROVIDER else "reseller"
    return (
        Order.objects.filter(customer=customer, **{field: organization})
        .select_related("placed_by", "provider", "reseller")
        .order_by("-placed_at", "-pk")
    )


def relationship_events_for(*, organization: Organization, limit: int = 10):
    """The latest changes to the organization's provider relationships, from either side.

    One index-backed query per side the organization can be on (a provider's or a reseller's:
    one), each reading at most `limit` rows newest first, merged here; never an OR across both
    sides that sorts every event of the programme."""
    sides: dict[str, list[str]] = {
        Organization.Kind.PROVIDER: ["provider"],
        Organization.Kind.RESELLER: ["reseller"],
    }
    events = [
        event
        for side in sides.get(organization.kind, ["provider", "reseller"])
        for event in RelationshipEvent.objects.filter(**{f"relationship__{side}": organization})
        .select_related("relationship__provider", "relationship__reseller", "actor_organization")
        .order_by("-created_at", "-pk")[:limit]
    ]
    events.sort(key=lambda event: (event.created_at, event.pk), reverse=True)
    return events[:limit]


def provider_regions(*, provider: Organization) -> QuerySet[Region]:
    """The CSP regions the operator authorized the provider in."""
    return Region.objects.filter(provider_profiles__organization=provider).order_by("name")
