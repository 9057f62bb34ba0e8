"""Reads. Each list is one query per page (plus a fixed number of prefetches), whatever its size.

Two selectors cross tenants and say so: `customers_shared_with_provider` (a provider sees the
customers resellers share with it while both relationships are active) and `provider_directory`
(every reseller reads the public directory)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import Count, Exists, Field, OuterRef, Q, QuerySet
from django.utils import timezone

from portal.countries import region_name
from portal.models import Market, Organization, Region
from portal.paging import CappedCount
from portal.sqlmemo import memo_count, memo_rows, memo_rows_at, memo_rows_of_ids, memo_rows_of_term

from .models import (
    BulkInvitationBatch,
    BulkInvitationRow,
    CustomerInvitation,
    CustomerRelationship,
    InvitationEvent,
    InvitationStatus,
    ProviderProfile,
    ProviderRelationship,
    RelationshipEvent,
    ResellerInvitation,
    domain_path,
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


def markets_by_region(*, region_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """The markets of these regions as (ISO code, English name) pairs per region id, in one
    query of plain rows (a directory page lists up to every country of the world per
    provider: no model instance per country)."""
    found: dict[int, list[tuple[str, str]]] = {}
    ids = set(region_ids)
    if ids:
        rows = Market.objects.filter(region_id__in=ids).order_by("name")
        for region_id, code, name in rows.values_list("region_id", "code", "name"):
            found.setdefault(region_id, []).append((code, name))
    return found


def directory_regions(*, profile_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """The CSP regions of these directory entries as (id, English name) pairs by name, per
    profile id: one query of plain rows (a prefetch built a Region instance per region and
    provider, ~15% of Find a provider's CPU, issue 21)."""
    found: dict[int, list[tuple[int, str]]] = {}
    ids = list(profile_ids)
    if ids:
        rows = (
            ProviderProfile.regions.through.objects.filter(providerprofile_id__in=ids)
            .order_by("region__name")
            .values_list("providerprofile_id", "region_id", "region__name")
        )
        for profile_id, region_id, name in rows:
            found.setdefault(profile_id, []).append((region_id, name))
    return found


def provider_directory(*, search: str = "", region_id: int | None = None) -> QuerySet:
    """Every provider's directory entry, readable by any reseller (public within the portal);
    their regions come from `directory_regions`."""
    qs = ProviderProfile.objects.select_related("organization")
    # The open providers' ids read first by the (kind, status) index (`any_of`: an array of
    # the subquery's ids on PostgreSQL): as a join filter, PostgreSQL walked all ~270,000
    # organizations in id order to find the ~300 providers, and as a semi-join (`__in`) the
    # capped count under its LIMIT still did (issue 21: 7-10 ms at scale 0.05).
    qs = qs.filter(
        organization_id__any_of=Organization.objects.filter(kind=Organization.Kind.PROVIDER)
        .exclude(status=Organization.Status.CLOSED)
        .values("pk")
    )
    through = ProviderProfile.regions.through.objects
    if search:
        # Semi-joins, not joins + DISTINCT: one row per provider, so the page and its count stay
        # cheap. The regions matching the term (by their name or a country's) are a small,
        # uncorrelated set; the legal name is served by the trigram index on PostgreSQL.
        regions = Region.objects.filter(
            Q(name__icontains=search) | Q(markets__name__icontains=search)
        ).values("pk")
        qs = qs.filter(
            Q(organization__legal_name__icontains=search)
            | Q(description__icontains=search)
            | Q(pk__in=through.filter(region_id__in=regions).values("providerprofile_id"))
        )
    if region_id:
        qs = qs.filter(pk__in=through.filter(region_id=region_id).values("providerprofile_id"))
    return qs.order_by("organization__legal_name", "pk")


SEARCH_MATCH_LIMIT = 1000


def organizations_matching(
    term: str, *, domains: bool = False, limit: int | None = None
) -> list[int] | None:
    """Ids of the organizations whose legal name (or, with `domains`, primary domain) contains
    `term`, for a list's search to filter its own tenant-scoped rows by; None when more than
    `limit` match (the caller then filters by a join instead). On PostgreSQL the GIN trigram
    indexes on UPPER(legal_name) / UPPER(primary_domain) serve it (relationships migration
    0003). Crosses tenants only to narrow a query that is itself scoped to the tenant."""
    limit = SEARCH_MATCH_LIMIT if limit is None else limit

    def build(text: str) -> QuerySet:
        condition = Q(legal_name__icontains=text)
        if domains:
            condition |= Q(primary_domain__icontains=text)
        return (
            Organization.objects.filter(condition)
            .order_by()
            .values_list("pk", named=True)[: limit + 1]
        )

    # Compiled once whatever the term (`portal.sqlmemo.memo_rows_of_term`): ~6% of the
    # searched Indirect resellers page's CPU was building and compiling this query.
    ids = [
        row.pk
        for row in memo_rows_of_term(
            ("relationships.organizations_matching", domains, limit), build, term
        )
    ]
    return ids if len(ids) <= limit else None


def shared_customer_counts(
    *, provider: Organization | None = None, reseller: Organization | None = None, ids
) -> dict[int, int]:
    """Active customers shared per pair, for one page's rows only: with `provider`, keyed by the
    reseller ids given; with `reseller`, keyed by the provider ids given. One grouped query over
    the partial index (provider, reseller) WHERE active; ids with no customer are absent."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return {}
    organization = provider or reseller
    assert organization is not None
    side, key = ("provider", "reseller_id") if provider is not None else ("reseller", "provider_id")

    def build(page_ids: list[int]) -> QuerySet:
        qs = CustomerRelationship.objects.filter(
            status=CustomerRelationship.Status.ACTIVE,
            **{f"{side}_id": organization.pk, f"{key}__in": page_ids},
        )
        # A plain `Field` output: the integer the database returns, without the int()
        # converter that would keep the memo from replaying the statement.
        counted = qs.order_by().values_list(key).annotate(n=Count("pk", output_field=Field()))
        return counted.values_list(key, "n", named=True)

    # Compiled once per organization and number of ids (`portal.sqlmemo.memo_rows_of_ids`):
    # building and compiling the grouped query was ~7% of the Indirect resellers page's CPU.
    rows = memo_rows_of_ids(
        ("relationships.shared_customer_counts", side, organization.pk), build, ids
    )
    return {found[0]: found[1] for found in rows}


def resellers_of_provider(*, provider: Organization) -> QuerySet[ProviderRelationship]:
    """The provider's Indirect resellers page: its relationships (the shared-customer count of
    the page's rows comes from `shared_customer_counts`)."""
    return ProviderRelationship.objects.filter(provider=provider).select_related(
        "reseller", "reseller__country"
    )


def providers_of_reseller(*, reseller: Organization) -> QuerySet[ProviderRelationship]:
    return ProviderRelationship.objects.filter(reseller=reseller).select_related(
        "provider", "provider__provider_profile"
    )


def partners_matching(
    *, organization: Organization, term: str, ids: list[int] | None, limit: int = 10
) -> list[Organization]:
    """Search-as-you-type for the Customers page's partner filter: at most `limit` of the
    provider's resellers with an active relationship (or of the reseller's providers) whose name
    contains `term`, by name. `ids` is `organizations_matching(term)`: when few organizations
    match, they are intersected with the partners; when too many do, the partners are walked
    in the (provider, status, authorized_at) index order until `limit` of them match, which
    stops early precisely because matches are frequent."""
    if organization.kind == Organization.Kind.PROVIDER:
        relationships = ProviderRelationship.objects.filter(
            provider=organization, status=ProviderRelationship.Status.ACTIVE
        )
        side = "reseller"
    else:
        relationships = ProviderRelationship.objects.filter(
            reseller=organization, status=ProviderRelationship.Status.ACTIVE
        )
        side = "provider"
    if ids is not None:
        return list(
            Organization.objects.filter(
                pk__any_of=ids,
            )
            .filter(pk__in=relationships.values_list(f"{side}_id", flat=True))
            .order_by("legal_name", "pk")[:limit]
        )
    found: dict[int, Organization] = {}
    for relationship in (
        relationships.filter(**{f"{side}__legal_name__icontains": term})
        .select_related(side)
        .order_by("status", "-authorized_at", "-pk")[: limit * 2]
    ):
        found.setdefault(getattr(relationship, f"{side}_id"), getattr(relationship, side))
    return sorted(found.values(), key=lambda o: (o.legal_name, o.pk))[:limit]


def partner_of(*, organization: Organization, partner_id: int) -> Organization | None:
    """The Customers page's chosen partner, only while the relationship with it is active (an
    ended reseller or provider is no filter: the filter lists active partners only)."""
    active = ProviderRelationship.Status.ACTIVE
    if organization.kind == Organization.Kind.PROVIDER:
        qs = Organization.objects.filter(
            provider_relationships__provider=organization, provider_relationships__status=active
        )
    else:
        qs = Organization.objects.filter(
            reseller_relationships__reseller=organization, reseller_relationships__status=active
        )
    return qs.filter(pk=partner_id).first()


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


def reseller_order_relationships(
    *, reseller: Organization, customer_id: int
) -> QuerySet[CustomerRelationship]:
    """The reseller's active relationships with this customer whose provider it still holds an
    active relationship with: the providers through which it may order for the customer (who
    bill it). One row per provider."""
    active_pair = ProviderRelationship.objects.filter(
        reseller=reseller,
        provider=OuterRef("provider"),
        status=ProviderRelationship.Status.ACTIVE,
    )
    return (
        CustomerRelationship.objects.filter(
            reseller=reseller, customer_id=customer_id, status=CustomerRelationship.Status.ACTIVE
        )
        .filter(Exists(active_pair))
        .select_related("customer", "customer__country", "provider", "reseller")
        .order_by("provider__legal_name", "pk")
    )


class Change(NamedTuple):
    """One line of Recent changes (`{% recent_change_items %}`), read as a plain row: the panel
    built ~150 model instances through three joins per query (~18% of /indirect-resellers/'s
    CPU, issue 21)."""

    created_at: datetime
    pk: int
    invitation: bool  # an invitation's lifecycle step; else a provider relationship's event
    type: str  # the event's `type` value
    first: str  # the sender's name (invitation) or the provider's
    second: str  # the invited address (invitation) or the reseller's name
    by: str | None  # the acting organization's name, None when none is recorded


def relationship_events_for(*, organization: Organization, limit: int = 10) -> list[Change]:
    """The latest changes to the organization's provider relationships, from either side.

    One index-backed query per side the organization can be on (a provider's or a reseller's:
    one), each reading at most `limit` rows newest first, merged here; never an OR across both
    sides that sorts every event of the programme. Each side's SQL is compiled once per
    organization (`portal.sqlmemo`: it is built from the side, the organization and `limit`)."""
    sides: dict[str, list[str]] = {
        Organization.Kind.PROVIDER: ["provider"],
        Organization.Kind.RESELLER: ["reseller"],
    }
    events: list[Change] = []
    for side in sides.get(organization.kind, ["provider", "reseller"]):

        def build(_cursor: object, side: str = side) -> QuerySet:
            return (
                RelationshipEvent.objects.filter(**{f"relationship__{side}": organization})
                .order_by("-created_at", "-pk")
                .values_list(
                    "created_at",
                    "pk",
                    "type",
                    "relationship__provider__legal_name",
                    "relationship__reseller__legal_name",
                    "actor_organization__legal_name",
                    named=True,
                )[:limit]
            )

        key = ("relationships.relationship_events_for", side, organization.pk, limit)
        events.extend(
            Change(row[0], row[1], False, row[2], row[3], row[4], row[5])
            for row in memo_rows(key, build, None)
        )
    events.sort(key=lambda event: (event.created_at, event.pk), reverse=True)
    return events[:limit]


def provider_regions(*, provider: Organization) -> QuerySet[Region]:
    """The CSP regions the operator authorized the provider in."""
    return Region.objects.filter(provider_profiles__organization=provider).order_by("name")


def provider_region_names(*, provider: Organization) -> list[str]:
    """`provider_regions`' names in the reader's language, in the same order: plain rows, the
    SQL compiled once per provider (`portal.sqlmemo`), for the Indirect resellers page."""

    def build(_cursor: object) -> QuerySet:
        return provider_regions(provider=provider).values_list("name", named=True)

    rows = memo_rows(("relationships.provider_region_names", provider.pk), build, None)
    return [region_name(row[0]) for row in rows]


def customers_for(*, organization: Organization) -> QuerySet[CustomerRelationship]:
    """The Customers page's rows: a provider's shared customers, a reseller's own."""
    if organization.kind == Organization.Kind.PROVIDER:
        return customers_shared_with_provider(provider=organization)
    return customers_of_reseller(reseller=organization)


def customer_rows(*, organization: Organization, customer_id: int) -> list[CustomerRelationship]:
    """One customer's rows on the organization's Customers page (empty: not visible to it)."""
    return list(customers_for(organization=organization).filter(customer_id=customer_id))


def customers_with_partner(
    qs: QuerySet[CustomerRelationship],
    *,
    partner_field: str,
    partner_id: int | None,
    term: str,
    matching_ids: list[int] | None,
) -> QuerySet[CustomerRelationship]:
    """Narrow Customers rows to one partner (`partner_field` is "reseller" or "provider"), or to
    the partners whose name holds `term` (`matching_ids`: their ids when the trigram search
    found them, None to match by name)."""
    if partner_id:
        qs = qs.filter(**{f"{partner_field}_id": partner_id})
    if term:
        if matching_ids is None:
            qs = qs.filter(**{f"{partner_field}__legal_name__icontains": term})
        else:
            qs = qs.filter(**{f"{partner_field}_id__any_of": matching_ids})
    return qs


# The dashboard counts a provider's resellers up to this ("More than 1,000"): an exact count read
# every relationship of the provider (20,000 at Contoso's scale) on every dashboard load.
DASHBOARD_COUNT_CAP = 1_000


def active_relationship_count(*, organization: Organization) -> CappedCount:
    """How many active provider relationships the organization holds, on its side, counted up
    to `DASHBOARD_COUNT_CAP`: `capped_count`'s query, its SQL compiled once per organization
    (`portal.sqlmemo.memo_count`, the dashboard's panel, issue 21)."""
    side = "reseller" if organization.kind == Organization.Kind.RESELLER else "provider"

    def build() -> QuerySet:
        return (
            ProviderRelationship.objects.filter(
                **{f"{side}_id": organization.pk}, status=ProviderRelationship.Status.ACTIVE
            )
            .order_by()
            .values("pk")[: DASHBOARD_COUNT_CAP + 1]
        )

    n = memo_count(("relationships.active_relationship_count", side, organization.pk), build)
    return CappedCount(value=min(n, DASHBOARD_COUNT_CAP), capped=n > DASHBOARD_COUNT_CAP)


def region_list() -> QuerySet[Region]:
    """Every CSP region, by name (the directory's filter)."""
    return Region.objects.order_by("name")


def markets_for_invitation(*, invitation: CustomerInvitation) -> QuerySet[Market]:
    """The markets a customer invited by this reseller may be in: the reseller's CSP region
    (every market when the reseller has no country yet)."""
    country = invitation.organization.country
    if country is None:
        return Market.objects.order_by("name")
    return Market.objects.filter(region_id=country.region_id).order_by("name")


# The invitation inbox --------------------------------------------------------------------------


def invitations_addressed_to(
    *, organization: Organization
) -> QuerySet[ResellerInvitation] | QuerySet[CustomerInvitation]:
    """Cross-tenant by design: the invitations other organizations sent to this company, a
    provider's to a reseller or a reseller's to a customer, whatever their status. An
    invitation is addressed to the company whose domain (or a subdomain of it) the invited
    address is at — the rule `invitee_refusal` enforces on accepting. Newest first."""
    path = domain_path(organization.primary_domain or "")
    if organization.kind == Organization.Kind.RESELLER:
        qs: QuerySet = ResellerInvitation.objects.select_related("organization")
    elif organization.kind == Organization.Kind.CUSTOMER:
        qs = CustomerInvitation.objects.select_related("organization", "provider")
    else:
        return ResellerInvitation.objects.none()
    if not path:
        return qs.none()
    return qs.filter(invitee_domain_path__startswith=path).order_by("-created_at", "-pk")


def pending_invitations_addressed_to(
    *, organization: Organization
) -> QuerySet[ResellerInvitation] | QuerySet[CustomerInvitation]:
    """The inbox: invitations to this company still open to an answer, soonest expiry first."""
    return (
        invitations_addressed_to(organization=organization)
        .filter(status=InvitationStatus.PENDING, expires_at__gt=timezone.now())
        .order_by("expires_at", "pk")
    )


class InboxSender(NamedTuple):
    legal_name: str


@dataclass
class InboxInvitation:
    """What the inbox template (`_inbox.html`) reads of an invitation, as a plain row."""

    pk: int
    email: str
    expires_at: datetime
    organization: InboxSender
    provider: InboxSender | None = None
    include_admin_access: bool = False
    gdap_form: Any = None


class PendingInvitationRows:
    """`pending_invitations_addressed_to` for `bounded_page(counted=False)`, which only slices
    it: each slice's plain rows with their SQL compiled once per organization, domain and slice
    (`portal.sqlmemo.memo_rows_at`, the clock's moment a parameter). The dashboard's inbox panel
    compiled the ORM query on every load, ~1.5 ms of CPU (issue 21)."""

    def __init__(self, *, organization: Organization) -> None:
        self.organization = organization

    def __getitem__(self, window: slice) -> list[InboxInvitation]:
        organization = self.organization
        customer = organization.kind == Organization.Kind.CUSTOMER
        fields = ["pk", "email", "expires_at", "organization__legal_name"]
        if customer:
            fields += ["provider__legal_name", "include_admin_access"]

        def build(now: datetime) -> QuerySet:
            return (
                invitations_addressed_to(organization=organization)
                .filter(status=InvitationStatus.PENDING, expires_at__gt=now)
                .order_by("expires_at", "pk")
                .values_list(*fields, named=True)[window]
            )

        key = (
            "relationships.pending_invitation_rows",
            organization.pk,
            organization.kind,
            organization.primary_domain or "",
            window.start,
            window.stop,
        )
        return [
            InboxInvitation(
                row[0],
                row[1],
                row[2],
                InboxSender(row[3]),
                *((InboxSender(row[4]), row[5]) if customer else ()),
            )
            for row in memo_rows_at(key, build, timezone.now())
        ]


def invitation_addressed_to(
    *, organization: Organization, invitation_id: int
) -> ResellerInvitation | CustomerInvitation | None:
    """One invitation of this company's inbox; another company's is None (the page's 404)."""
    return invitations_addressed_to(organization=organization).filter(pk=invitation_id).first()


def sent_reseller_invitations(*, provider: Organization) -> QuerySet[ResellerInvitation]:
    """Every invitation the provider sent, whatever became of it, newest first."""
    return ResellerInvitation.objects.filter(organization=provider).order_by("-created_at", "-pk")


def sent_customer_invitations(*, reseller: Organization) -> QuerySet[CustomerInvitation]:
    return (
        CustomerInvitation.objects.filter(organization=reseller)
        .select_related("provider")
        .order_by("-created_at", "-pk")
    )


def invitation_events_for(
    *, organization: Organization, kind: str, limit: int = 10
) -> list[Change]:
    """The latest lifecycle steps of one kind of invitation ("reseller": a provider's requests,
    "customer": a reseller's customer invitations) on the organization's side: those it sent,
    or those addressed to it (cross-tenant on that side, as `invitations_addressed_to`). One
    index-backed query of at most `limit` rows, its SQL compiled once per side and key (the
    organization, or the domain path it is addressed by)."""
    senders = {ResellerInvitation.KIND: Organization.Kind.PROVIDER}
    senders[CustomerInvitation.KIND] = Organization.Kind.RESELLER
    key: tuple[str, int | str]
    if organization.kind == senders.get(kind):
        condition, key = Q(organization=organization), ("sender", organization.pk)
    else:
        path = domain_path(organization.primary_domain or "")
        if not path:
            return []
        condition, key = Q(invitee_domain_path__startswith=path), ("invitee", path)

    def build(_cursor: object) -> QuerySet:
        return (
            InvitationEvent.objects.filter(condition, kind=kind)
            .order_by("-created_at", "-pk")
            .values_list(
                "created_at",
                "pk",
                "type",
                "organization__legal_name",
                "email",
                "actor_organization__legal_name",
                named=True,
            )[:limit]
        )

    rows = memo_rows(("relationships.invitation_events_for", kind, *key, limit), build, None)
    return [Change(row[0], row[1], True, row[2], row[3], row[4], row[5]) for row in rows]


def recent_changes_for(
    *, organization: Organization, invitation_kind: str, limit: int = 10
) -> list[Change]:
    """Recent changes: relationship events (providers and resellers) and the lifecycle steps of
    one kind of invitation on the organization's side, newest first."""
    relationship_events: list[Change] = []
    if organization.kind in (Organization.Kind.PROVIDER, Organization.Kind.RESELLER):
        relationship_events = relationship_events_for(organization=organization, limit=limit)
    merged = [
        *relationship_events,
        *invitation_events_for(organization=organization, kind=invitation_kind, limit=limit),
    ]
    merged.sort(key=lambda event: event.created_at, reverse=True)
    return merged[:limit]


# Bulk invitations ------------------------------------------------------------------------------


def bulk_batches_of(*, organization: Organization) -> QuerySet[BulkInvitationBatch]:
    """The organization's uploaded files, newest first."""
    return BulkInvitationBatch.objects.filter(organization=organization).order_by(
        "-created_at", "-pk"
    )


def bulk_batch_of(*, organization: Organization, batch_id: int) -> BulkInvitationBatch | None:
    """One of the organization's files; another tenant's is None (the page's 404)."""
    return (
        BulkInvitationBatch.objects.select_related("provider")
        .filter(organization=organization, pk=batch_id)
        .first()
    )


def bulk_rows(
    *, batch: BulkInvitationBatch, statuses: tuple[str, ...] = ()
) -> QuerySet[BulkInvitationRow]:
    qs = BulkInvitationRow.objects.filter(batch=batch)
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("line")


def bulk_rows_noted(*, batch: BulkInvitationBatch) -> QuerySet[BulkInvitationRow]:
    """Rows sent with a note for the sender (the address belongs to a customer organization's
    user: `customer_addressee_note`)."""
    return (
        BulkInvitationRow.objects.filter(batch=batch, status=BulkInvitationRow.Status.SENT)
        .exclude(message="")
        .order_by("line")
    )


def bulk_batches_sending_count() -> int:
    """Bulk invitation files confirmed and not finished, across tenants (the operators' gauge)."""
    return BulkInvitationBatch.objects.filter(
        status__in=[BulkInvitationBatch.Status.QUEUED, BulkInvitationBatch.Status.RUNNING]
    ).count()
