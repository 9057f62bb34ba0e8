"""Acting in a customer's account without being its member: delegated admin.

A partner's agent who holds delegated admin access (DAP) or granular admin roles (GDAP) in a
customer's account acts there through an unsaved `Membership` of the customer whose
`delegated_roles` replace the role columns and whose `delegated_by` is the partner. The policy
table (`portal.policy.RULES`) then decides each action, as for any member; services reach it
through `require_member()` and pages through `request.membership` while the user has chosen
"Administer on behalf of" (the session's `ACTING_FOR_SESSION_KEY`).

The core knows no feature: the app that stores the grants registers a source with
`register_delegation_source()` (in its `AppConfig.ready()`). A source answers for one user and one
customer, from the database on every call, so removing access takes effect on the next request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .models import Membership, Organization, User

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
