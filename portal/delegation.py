"""Acting in a customer's account without being its member: delegated admin.

A partner's agent who holds delegated admin access (DAP) or granular admin roles (GDAP) in a
customer's account acts there through an unsaved `Membership` of the customer whose
`delegated_roles` replace the role columns and whose `delegated_by` is the partner. The policy
table (`portal.policy.RULES`) then decides each action, as for any member; services reach it
through `require_member()` and pages through `request.membership` while the user has chosen
"Administer on behalf of" (the session's `ACTING_FOR_SESSION_KEY`).

The core knows no feature: the app that stores the grants registers a source with
`register_delegation_source()` (in its `AppConfig.ready()`). A source answers for one user and one
customer, from the database on every call, so removing access takes effect on the next request.

"Who can administer this customer, how and until when" has one answer too: the reader the same
app registers with `register_admin_access_reader()`, which `admin_access_of()` asks (the
"administering on behalf" banner of `templates/base.html`; the app's own pages call it
directly), so no page can say otherwise.

A removal or an expiry is a point in time: a delegated write checks its access again inside its
own transaction (`delegated_access_lock()`, called by `portal.policy.require_member()`), where
each source takes `SELECT ... FOR SHARE` on the rows that grant the roles. The services that end
a grant lock the same row `FOR UPDATE`, so the two serialize: a write either commits before the
removal, or waits for it and is refused.

The delegated context lives in the session: the customer chosen (`ACTING_FOR_SESSION_KEY`) and
the time of the last request made there (`ACTING_SEEN_SESSION_KEY`); after `IDLE_TIMEOUT`
without activity the next request leaves the customer's account (`portal.tenancy`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from .models import DelegatedRole, Membership, Organization, User

ACTING_FOR_SESSION_KEY = "portal_acting_for"
# When the partner's agent last made a request in the customer's account (a POSIX timestamp).
ACTING_SEEN_SESSION_KEY = "portal_acting_seen"
IDLE_MINUTES = 30
IDLE_TIMEOUT = timedelta(minutes=IDLE_MINUTES)


@dataclass(frozen=True)
class DelegatedAccess:
    """What a source grants `user` in a customer's account: the roles (`DelegatedRole` values)
    and the partner organization through which the user holds them."""

    partner: Organization
    roles: frozenset[str]
    # When the grant ends by itself (a GDAP relationship's end date); None: until removed.
    ends_at: datetime | None = None


class DelegationSource(Protocol):
    """What `user` holds in `customer`'s account, read from the database. With `lock` (only
    inside a transaction) the source takes `FOR SHARE` on the rows that grant it (see
    `lock_for_share()`) and answers from them as they are once locked."""

    def __call__(
        self, user: User, customer: Organization, *, lock: bool = False
    ) -> DelegatedAccess | None: ...


_sources: list[DelegationSource] = []


def register_delegation_source(source: DelegationSource) -> None:
    if source not in _sources:
        _sources.append(source)


@dataclass(frozen=True)
class PartnerAccess:
    """One way a partner may administer a customer today: delegated admin access ("DAP", until
    someone removes it: `ends_at` None) or one active granular admin relationship ("GDAP", its
    roles until its end date). `pk` is the row (the admin access or the GDAP relationship);
    `reseller_id` the reseller through which a DAP was granted (None for GDAP)."""

    DAP = "DAP"
    GDAP = "GDAP"

    partner: Organization
    kind: str
    roles: frozenset[str]
    ends_at: datetime | None
    since: datetime | None
    pk: int
    reseller_id: int | None = None
    name: str = ""

    @property
    def role_labels(self) -> list[str]:
        """The roles' names in the reader's language, in the order `DelegatedRole` lists them."""
        return [str(role.label) for role in DelegatedRole if role.value in self.roles]


AdminAccessReader = Callable[[Organization], list[PartnerAccess]]

_readers: list[AdminAccessReader] = []


def register_admin_access_reader(reader: AdminAccessReader) -> None:
    if reader not in _readers:
        _readers.append(reader)


def admin_access_of(
    customer: Organization, *, partner: Organization | None = None
) -> list[PartnerAccess]:
    """Every registered reader's answer for `customer` (only `partner`'s when given)."""
    accesses: list[PartnerAccess] = []
    for reader in _readers:
        accesses.extend(reader(customer))
    if partner is not None:
        accesses = [a for a in accesses if a.partner.pk == partner.pk]
    return accesses


def delegated_membership(
    user: User | None, organization: Organization | None, *, lock: bool = False
) -> Membership | None:
    """An unsaved membership of `organization` with the roles every source grants `user` there
    (their union, through the first partner that grants any), or None without a grant. With
    `lock` (inside a transaction) the granting rows stay locked for share until it ends."""
    if user is None or not user.is_authenticated or organization is None:
        return None
    if organization.kind != Organization.Kind.CUSTOMER:
        return None
    partner: Organization | None = None
    roles: set[str] = set()
    ends: list[datetime] = []
    for source in _sources:
        access = source(user, organization, lock=lock)
        if access is None or not access.roles:
            continue
        partner = partner or access.partner
        roles |= access.roles
        if access.ends_at is not None:
            ends.append(access.ends_at)
    if partner is None:
        return None
    membership = Membership(user=user, organization=organization)
    membership.delegated_by = partner
    membership.delegated_roles = frozenset(roles)
    # The first end date among the grants: a cached context (portal/request_context.py) holds
    # no longer than that.
    membership.delegated_until = min(ends, default=None)
    return membership


def lock_for_share[M: Model](queryset: QuerySet[M]) -> list[Any]:
    """The primary keys of `queryset`'s rows, locked `FOR SHARE` until the transaction ends
    (PostgreSQL: a row another transaction holds `FOR UPDATE` is waited for, then the filter is
    checked again on its committed version). Elsewhere (SQLite serialises writers) a plain read.
    The queryset must read a single table: no joins, no ordering, no slicing."""
    alias = router.db_for_read(queryset.model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return list(queryset.values_list("pk", flat=True))
    try:
        sql, params = queryset.order_by().values_list("pk").query.sql_with_params()
    except EmptyResultSet:  # `pk__in=[]`: nothing to lock
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} FOR SHARE", params)
        return [row[0] for row in cursor.fetchall()]


def admin_access_ended_message(customer: Organization) -> str:
    return _("Your admin access to %(customer)s ended.") % {"customer": customer.legal_name}


class PartnerDelegationSource(Protocol):
    """What a partner organization itself holds in `customer`'s account (no user: an API client
    of the partner acts through it), read from the database; `lock` as `DelegationSource`."""

    def __call__(
        self, partner: Organization, customer: Organization, *, lock: bool = False
    ) -> DelegatedAccess | None: ...


_partner_sources: list[PartnerDelegationSource] = []


def register_partner_delegation_source(source: PartnerDelegationSource) -> None:
    """A source answering for a partner organization (GDAP: the roles a customer approved for
    the partner); an API client acts for a customer only through these."""
    if source not in _partner_sources:
        _partner_sources.append(source)


def partner_delegated_membership(
    user: User, partner: Organization, customer: Organization | None, *, lock: bool = False
) -> Membership | None:
    """An unsaved membership of `customer` for `user` acting as `partner` (an API client of the
    partner), with the roles the partner sources grant the partner there, or None without any.
    Its writes check the grant again with `delegated_access_lock` as a person's do."""
    if customer is None or customer.kind != Organization.Kind.CUSTOMER:
        return None
    roles: set[str] = set()
    ends: list[datetime] = []
    for source in _partner_sources:
        access = source(partner, customer, lock=lock)
        if access is None or not access.roles:
            continue
        roles |= access.roles
        if access.ends_at is not None:
            ends.append(access.ends_at)
    if not roles:
        return None
    membership = Membership(user=user, organization=customer)
    membership.delegated_by = partner
    membership.delegated_roles = frozenset(roles)
    membership.delegated_until = min(ends, default=None)
    membership.delegated_as_partner = True
    return membership


def delegated_access_lock(membership: Membership) -> Membership:
    """Inside a delegated write's transaction: lock the rows that grant `membership`'s roles
    (`FOR SHARE`, held until the write commits) and check they still do. Returns the membership
    with the roles that hold now; PermissionDenied, saying so, when none is left."""
    if membership.delegated_as_partner:
        assert membership.delegated_by is not None
        locked = partner_delegated_membership(
            membership.user, membership.delegated_by, membership.organization, lock=True
        )
    else:
        locked = delegated_membership(membership.user, membership.organization, lock=True)
    if locked is None or locked.delegated_by != membership.delegated_by:
        raise PermissionDenied(admin_access_ended_message(membership.organization))
    membership.delegated_roles = locked.delegated_roles
    return membership
