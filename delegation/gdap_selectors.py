"""Reads of GDAP: what a partner's agent holds in a customer's account (the source registered
with `portal.delegation`), and the lists on the partner's and the customer's pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from portal.delegation import DelegatedAccess, lock_for_share
from portal.models import Membership, Organization, User

from .models import GdapRelationship

Status = GdapRelationship.Status


def gdap_in_force() -> QuerySet[GdapRelationship]:
    """Approved relationships that hold now: active and before their end date (a relationship
    past it is refused before the sweep marks it ended)."""
    return GdapRelationship.objects.filter(status=Status.ACTIVE, ends_at__gt=timezone.now())


def gdap_access(
    user: User, customer: Organization, *, lock: bool = False
) -> DelegatedAccess | None:
    """The union of the roles of the active, unexpired GDAP relationships `customer` approved
    for a partner where `user` is an Admin agent or Global admin (one query, on the
    (customer, status) index). A relationship past its end date is refused before the sweep
    marks it ended. With `lock` (a delegated write's transaction) the relationships are locked
    for share first (ending one locks it for update) and their end checked once they are held."""
    agent_of = Membership.objects.filter(user=user).filter(
        Q(global_admin=True) | Q(admin_agent=True)
    )
    return _gdap_access(customer, agent_of.values("organization_id"), lock=lock)


def gdap_access_of_partner(
    partner: Organization, customer: Organization, *, lock: bool = False
) -> DelegatedAccess | None:
    """The same for the partner organization itself (the partner source an API client of the
    partner acts through): the roles of its active GDAP relationships with `customer`."""
    return _gdap_access(customer, [partner.pk], lock=lock)


def _gdap_access(customer: Organization, partner_ids: Any, *, lock: bool) -> DelegatedAccess | None:
    relationships = gdap_in_force().filter(customer=customer, partner_id__in=partner_ids)
    if lock:
        candidates = list(relationships.values_list("pk", flat=True))
        held = lock_for_share(
            GdapRelationship.objects.filter(pk__in=candidates, status=Status.ACTIVE)
        )
        # The end is checked after the wait: an expiry is a point in time too.
        relationships = GdapRelationship.objects.filter(
            pk__in=held, status=Status.ACTIVE, ends_at__gt=timezone.now()
        )
    rows = list(
        relationships.select_related("partner").order_by("pk").only("roles", "partner", "ends_at")
    )
    if not rows:
        return None
    roles: set[str] = set()
    for row in rows:
        roles.update(row.roles)
    ends = [row.ends_at for row in rows if row.ends_at is not None]
    return DelegatedAccess(
        partner=rows[0].partner, roles=frozenset(roles), ends_at=min(ends, default=None)
    )


def gdap_of_partner(*, partner: Organization) -> QuerySet[GdapRelationship]:
    """Every GDAP request and relationship the partner made, with every customer (the API's
    list; the pages show them per customer)."""
    return GdapRelationship.objects.filter(partner=partner).select_related("customer", "partner")


def gdap_of_customer(*, customer: Organization) -> QuerySet[GdapRelationship]:
    """Every GDAP request and relationship partners made with the customer."""
    return GdapRelationship.objects.filter(customer=customer).select_related("customer", "partner")


def gdap_for_customer_of_partner(
    *, partner: Organization, customer: Organization
) -> QuerySet[GdapRelationship]:
    """The partner's requests and relationships with one customer, newest first."""
    return GdapRelationship.objects.filter(partner=partner, customer=customer).select_related(
        "requested_by"
    )


def gdap_open_for_customer(*, customer: Organization) -> dict[str, list[GdapRelationship]]:
    """The customer's pending requests and active relationships (one query), for its Partner
    relationships page."""
    rows = list(
        GdapRelationship.objects.filter(
            customer=customer, status__in=(Status.PENDING, Status.ACTIVE)
        )
        .select_related("partner", "requested_by")
        .order_by("-requested_at", "-pk")[:200]
    )
    now = timezone.now()
    return {
        "pending": [r for r in rows if r.status == Status.PENDING and r.request_expires_at > now],
        # As customer_admin_access() (delegation.selectors) says: before their end date.
        "active": [r for r in rows if r.status == Status.ACTIVE and r.ends_at and r.ends_at > now],
    }


def gdap_by_key(key: str) -> GdapRelationship | None:
    """Cross-tenant by design (the email's link): the view shows it only to a Global admin of
    its customer."""
    if not key or len(key) > 64:
        return None
    return (
        GdapRelationship.objects.select_related("partner", "customer", "requested_by")
        .filter(key=key)
        .first()
    )
