"""Reads of delegated admin access (DAP).

`dap_access_for()` is the source `portal.delegation` asks on every request while a partner's
agent administers a customer: one indexed query. The other selectors feed the customer's
Partner relationships page and the partner's customer page; each is scoped to the organization
that asks, and its name says whose rows it crosses to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from portal.delegation import DelegatedAccess, PartnerAccess, lock_for_share
from portal.models import DelegatedRole, Membership, Organization, Role, User
from portal.paging import BoundedPage, bounded_page
from portal.policy import RULES, Action
from relationships.models import CustomerRelationship, ProviderRelationship

from .gdap_selectors import gdap_in_force
from .models import AdminAccess

Kind = Organization.Kind
PAGE_SIZE = 25


def _provider_admin_access_on_relationship() -> Exists:
    """The reseller's relationship with the access's partner (its provider) still gives admin
    access: removing it there (or ending the relationship) ends DAP on the reseller's customers."""
    return Exists(
        ProviderRelationship.objects.filter(
            provider_id=OuterRef("partner_id"),
            reseller_id=OuterRef("reseller_id"),
            status=ProviderRelationship.Status.ACTIVE,
            admin_access=True,
        )
    )


def effective_admin_access() -> QuerySet[AdminAccess]:
    """Active admin access that holds today: the reseller's own, or its provider's while the
    provider relationship still gives admin access."""
    return AdminAccess.objects.filter(status=AdminAccess.Status.ACTIVE).filter(
        Q(partner_id=F("reseller_id")) | _provider_admin_access_on_relationship()
    )


def _provider_relationship_held(pairs: set[tuple[int, int]]) -> Exists | Q:
    """Inside a delegated write's transaction: lock for share the provider relationships
    ((provider, reseller) `pairs`) that provider accesses rely on, those still active with admin
    access (a switch-off holding the row for update is waited for, then its committed flag is
    read again); the condition that an access's relationship is one of them."""
    if not pairs:
        return Q(pk__in=[])
    relied = Q()
    for provider_id, reseller_id in sorted(pairs):
        relied |= Q(provider_id=provider_id, reseller_id=reseller_id)
    held = lock_for_share(
        ProviderRelationship.objects.filter(
            relied, status=ProviderRelationship.Status.ACTIVE, admin_access=True
        )
    )
    return Exists(
        ProviderRelationship.objects.filter(
            pk__in=held,
            provider_id=OuterRef("partner_id"),
            reseller_id=OuterRef("reseller_id"),
            admin_access=True,
        )
    )


def _administering_roles() -> Q:
    """Members who may administer on behalf of a customer: the roles of the policy table's
    ADMINISTER_ON_BEHALF row (Global admin, Admin agent), so the table stays the one rule."""
    _kinds, roles = RULES[Action.ADMINISTER_ON_BEHALF]
    condition = Q()
    for role in Role:
        if role.value in roles:
            condition |= Q(**{role.value: True})
    return condition


def dap_access_for(
    user: User, customer: Organization, *, lock: bool = False
) -> DelegatedAccess | None:
    """The delegation source: delegated admin in `customer`'s account when `user` holds an
    administering role in a partner organization with effective admin access to it. One query
    (the unique (customer, partner) WHERE active index, then the provider relationship). With
    `lock` (a delegated write's transaction) the access rows are locked for share first and
    only those still active count: `admin_access_remove()` locks the row for update. So are the
    provider relationships a provider's access relies on, and only those that still give admin
    access count: the reseller's switch-off (`relationship_admin_access_remove()`, and ending
    the relationship) locks that row for update, so the two serialize."""
    if customer.kind != Kind.CUSTOMER:
        return None
    _kinds, _roles = RULES[Action.ADMINISTER_ON_BEHALF]
    administers = Membership.objects.filter(
        _administering_roles(), user_id=user.pk, organization_id=OuterRef("partner_id")
    )
    accesses = (
        effective_admin_access()
        .filter(customer=customer, partner__kind__in=_kinds)
        .filter(Exists(administers))
    )
    if lock:
        candidates = list(accesses.values_list("pk", "partner_id", "reseller_id"))
        held = lock_for_share(
            AdminAccess.objects.filter(
                pk__in=[pk for pk, _partner, _reseller in candidates],
                status=AdminAccess.Status.ACTIVE,
            )
        )
        # A provider's access (partner is not the reseller) relies on the provider relationship.
        relied = {(partner, seller) for _pk, partner, seller in candidates if partner != seller}
        accesses = accesses.filter(pk__in=held).filter(
            Q(partner_id=F("reseller_id")) | _provider_relationship_held(relied)
        )
    access = accesses.select_related("partner").order_by("granted_at", "pk").first()
    if access is None:
        return None
    return DelegatedAccess(partner=access.partner, roles=frozenset({DelegatedRole.DELEGATED_ADMIN}))


@dataclass
class PartnerRow:
    """One partner of a customer on its Partner relationships page."""

    partner: Organization
    # "reseller", or "provider" (through `reseller`).
    side: str
    reseller: Organization
    since: datetime
    access: AdminAccess | None  # the latest admin access row (active or removed)
    # The provider relationship no longer gives admin access (the reseller removed it).
    suspended_by_reseller: bool = False
    # How the partner may administer the customer today (customer_admin_access()).
    accesses: list[PartnerAccess] = field(default_factory=list)

    @property
    def dap(self) -> PartnerAccess | None:
        return next((a for a in self.accesses if a.kind == PartnerAccess.DAP), None)

    @property
    def holds_admin_access(self) -> bool:
        return self.dap is not None


def partners_of_customer(*, customer: Organization, page: Any) -> BoundedPage:
    """The customer's Partner relationships page: one page of its reseller relationships, each
    giving two partners (the reseller and its provider), with how each may administer the
    customer today (`customer_admin_access()`, two queries) and its latest admin access row.
    Six queries whatever the number of relationships (count, page, admin access rows, provider
    relationships, and the two of `customer_admin_access()`)."""
    relationships = (
        CustomerRelationship.objects.filter(
            customer=customer, status=CustomerRelationship.Status.ACTIVE
        )
        .select_related("reseller", "provider")
        .order_by("-created_at", "-pk")
    )
    result = bounded_page(relationships, page, per_page=PAGE_SIZE)
    rows_of_page: list[CustomerRelationship] = list(result.object_list)
    partner_ids = {r.reseller_id for r in rows_of_page} | {r.provider_id for r in rows_of_page}
    latest: dict[int, AdminAccess] = {}
    for access in (
        AdminAccess.objects.filter(customer=customer, partner_id__in=partner_ids)
        .select_related("removed_by", "removed_by_organization")
        .order_by("partner_id", "-granted_at", "-pk")
    ):
        current = latest.get(access.partner_id)
        # The active row wins over removed ones; else the newest.
        if current is None or (
            access.status == AdminAccess.Status.ACTIVE
            and current.status != AdminAccess.Status.ACTIVE
        ):
            latest[access.partner_id] = access
    pairs = {(r.provider_id, r.reseller_id) for r in rows_of_page}
    with_admin_access = set(
        ProviderRelationship.objects.filter(
            provider_id__in={p for p, _r in pairs},
            reseller_id__in={r for _p, r in pairs},
            status=ProviderRelationship.Status.ACTIVE,
            admin_access=True,
        ).values_list("provider_id", "reseller_id")
    )
    accesses_of: dict[int, list[PartnerAccess]] = {}
    for partner_access in customer_admin_access(customer):
        accesses_of.setdefault(partner_access.partner.pk, []).append(partner_access)
    rows: list[PartnerRow] = []
    seen: set[int] = set()
    for relationship in rows_of_page:
        for side, partner in (
            ("reseller", relationship.reseller),
            ("provider", relationship.provider),
        ):
            if partner.pk in seen:
                continue
            seen.add(partner.pk)
            rows.append(
                PartnerRow(
                    partner=partner,
                    side=side,
                    reseller=relationship.reseller,
                    since=relationship.created_at,
                    access=latest.get(partner.pk),
                    suspended_by_reseller=side == "provider"
                    and (partner.pk, relationship.reseller_id) not in with_admin_access,
                    accesses=accesses_of.get(partner.pk, []),
                )
            )
    result.object_list = rows
    return result


def admin_access_latest(*, customer: Organization, partner: Organization) -> AdminAccess | None:
    """The newest admin access row of `partner` to `customer` (to say why administering is
    refused)."""
    return (
        AdminAccess.objects.filter(customer=customer, partner=partner)
        .select_related("removed_by_organization")
        .order_by("-granted_at", "-pk")
        .first()
    )


def provider_admin_access_removed(*, provider: Organization, reseller: Organization) -> bool:
    return not ProviderRelationship.objects.filter(
        provider=provider,
        reseller=reseller,
        status=ProviderRelationship.Status.ACTIVE,
        admin_access=True,
    ).exists()


def customer_admin_access(
    customer: Organization, *, seen_by: Organization | None = None
) -> list[PartnerAccess]:
    """Who can administer `customer` today, how and until when: each effective delegated admin
    access (DAP, until removed) and each GDAP relationship in force (its roles, until its end
    date), by partner name. The one answer of the customer page's section, Partner
    relationships and the "administering on behalf" banner (registered with
    `portal.delegation`), and the same querysets the delegation sources ask. Two queries.

    `seen_by`, a partner of the customer: only what it may know of (its own access and, for a
    reseller, that of its providers on this customer)."""
    dap = effective_admin_access().filter(customer=customer)
    gdap = gdap_in_force().filter(customer=customer)
    if seen_by is not None:
        dap = dap.filter(Q(reseller=seen_by) | Q(partner=seen_by))
        providers = CustomerRelationship.objects.filter(
            customer=customer, reseller=seen_by, status=CustomerRelationship.Status.ACTIVE
        ).values("provider_id")
        gdap = gdap.filter(Q(partner=seen_by) | Q(partner_id__in=providers))
    accesses = [
        PartnerAccess(
            partner=access.partner,
            kind=PartnerAccess.DAP,
            roles=frozenset({DelegatedRole.DELEGATED_ADMIN.value}),
            ends_at=None,
            since=access.granted_at,
            pk=access.pk,
            reseller_id=access.reseller_id,
        )
        for access in dap.select_related("partner").order_by("granted_at", "pk")
    ]
    accesses += [
        PartnerAccess(
            partner=relationship.partner,
            kind=PartnerAccess.GDAP,
            roles=frozenset(relationship.roles),
            ends_at=relationship.ends_at,
            since=relationship.starts_at,
            pk=relationship.pk,
            name=relationship.name,
        )
        for relationship in gdap.select_related("partner").order_by("ends_at", "pk")
    ]
    return sorted(accesses, key=lambda a: (a.partner.legal_name, a.partner.pk, a.kind))
