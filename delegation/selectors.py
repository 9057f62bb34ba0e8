"""Reads of delegated admin access (DAP).

`dap_access_for()` is the source `portal.delegation` asks on every request while a partner's
agent administers a customer: one indexed query. The other selectors feed the customer's
Partner relationships page and the partner's customer page; each is scoped to the organization
that asks, and its name says whose rows it crosses to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet

from portal.delegation import DelegatedAccess, lock_for_share
from portal.models import DelegatedRole, Membership, Organization, Role, User
from portal.paging import BoundedPage, bounded_page
from portal.policy import RULES, Action
from relationships.models import CustomerRelationship, ProviderRelationship

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
    only those still active count: `admin_access_remove()` locks the row for update."""
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
        candidates = list(accesses.values_list("pk", flat=True))
        held = lock_for_share(
            AdminAccess.objects.filter(pk__in=candidates, status=AdminAccess.Status.ACTIVE)
        )
        accesses = accesses.filter(pk__in=held)
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

    @property
    def holds_admin_access(self) -> bool:
        return (
            self.access is not None
            and self.access.status == AdminAccess.Status.ACTIVE
            and not self.suspended_by_reseller
        )


def partners_of_customer(*, customer: Organization, page: Any) -> BoundedPage:
    """The customer's Partner relationships page: one page of its reseller relationships, each
    giving two partners (the reseller and its provider), with their admin access. Four queries
    whatever the number of relationships (count, page, admin access, provider relationships)."""
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
                )
            )
    result.object_list = rows
    return result


def admin_access_seen_by(
    *, organization: Organization, customer: Organization
) -> list[AdminAccess]:
    """A partner's view of who holds admin access to one of its customers: a reseller sees its
    own and its providers' (it may remove them), a provider its own. One query."""
    return list(
        AdminAccess.objects.filter(customer=customer, status=AdminAccess.Status.ACTIVE)
        .filter(Q(reseller=organization) | Q(partner=organization))
        .select_related("partner", "reseller")
        .annotate(
            effective=ExpressionWrapper(
                Q(partner_id=F("reseller_id")) | _provider_admin_access_on_relationship(),
                output_field=BooleanField(),
            )
        )
        .order_by("granted_at", "pk")
    )


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
