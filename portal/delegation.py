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
directly), so no page can say otherwise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .models import DelegatedRole, Membership, Organization, User

ACTING_FOR_SESSION_KEY = "portal_acting_for"


@dataclass(frozen=True)
class DelegatedAccess:
    """What a source grants `user` in a customer's account: the roles (`DelegatedRole` values)
    and the partner organization through which the user holds them."""

    partner: Organization
    roles: frozenset[str]


DelegationSource = Callable[[User, Organization], DelegatedAccess | None]

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


def delegated_membership(user: User | None, organization: Organization | None) -> Membership | None:
    """An unsaved membership of `organization` with the roles every source grants `user` there
    (their union, through the first partner that grants any), or None without a grant."""
    if user is None or not user.is_authenticated or organization is None:
        return None
    if organization.kind != Organization.Kind.CUSTOMER:
        return None
    partner: Organization | None = None
    roles: set[str] = set()
    for source in _sources:
        access = source(user, organization)
        if access is None or not access.roles:
            continue
        partner = partner or access.partner
        roles |= access.roles
    if partner is None:
        return None
    membership = Membership(user=user, organization=organization)
    membership.delegated_by = partner
    membership.delegated_roles = frozenset(roles)
    return membership
