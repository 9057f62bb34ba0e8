"""Who may do what: the one place role checks live.

Views ask `can(membership, Action.X)` (TenantViewMixin does it for a page's `required_action`);
services call `require_member(actor=..., organization=..., action=...)`, which finds the acting
user's membership and `require`s the action, so that a form is never the only door. Reviewers
and staff go through the same table: their pages and services name an Action too."""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied

from .models import Membership, Organization, Role, User

Kind = Organization.Kind


class Action(StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    VIEW_LEGAL_INFO = "view_legal_info"
    EDIT_LEGAL_INFO = "edit_legal_info"
    MANAGE_USERS = "manage_users"
    VIEW_USERS = "view_users"
    MANAGE_IDENTIFIERS = "manage_identifiers"
    ACCEPT_AGREEMENT = "accept_agreement"
    VIEW_VERIFICATION = "view_verification"
    MANAGE_VERIFICATION = "manage_verification"
    AUTHORIZE_PROVIDER = "authorize_provider"
    INVITE_CUSTOMER = "invite_customer"
    VIEW_CUSTOMERS = "view_customers"
    PLACE_ORDER = "place_order"
    VIEW_BILLING = "view_billing"
    INVITE_RESELLER = "invite_reseller"
    VIEW_RELATIONSHIPS = "view_relationships"
    REVIEW_VERIFICATION = "review_verification"
    VIEW_AUDIT_LOG = "view_audit_log"
    READ_OUTBOX = "read_outbox"
    ACCEPT_CUSTOMER_RELATIONSHIP = "accept_customer_relationship"


ALL_PARTNER_ROLES = {
    Role.GLOBAL_ADMIN,
    Role.ADMIN_AGENT,
    Role.SALES_AGENT,
    Role.HELPDESK_AGENT,
    Role.BILLING_ADMIN,
}
_ADMINS = {Role.GLOBAL_ADMIN}
_AGENTS = {Role.GLOBAL_ADMIN, Role.ADMIN_AGENT}

# action -> (organization kinds where it exists, roles that may do it)
RULES: dict[Action, tuple[set[str], set[Role]]] = {
    Action.VIEW_DASHBOARD: (set(Kind), ALL_PARTNER_ROLES | {Role.VERIFICATION_ADMIN}),
    Action.VIEW_LEGAL_INFO: ({Kind.RESELLER, Kind.PROVIDER, Kind.CUSTOMER}, ALL_PARTNER_ROLES),
    Action.EDIT_LEGAL_INFO: ({Kind.RESELLER, Kind.PROVIDER, Kind.CUSTOMER}, _ADMINS),
    Action.VIEW_USERS: (set(Kind), _ADMINS),
    Action.MANAGE_USERS: (set(Kind), _ADMINS),
    Action.MANAGE_IDENTIFIERS: ({Kind.RESELLER, Kind.PROVIDER}, _ADMINS),
    Action.ACCEPT_AGREEMENT: ({Kind.RESELLER, Kind.PROVIDER}, _ADMINS),
    Action.VIEW_VERIFICATION: ({Kind.RESELLER}, ALL_PARTNER_ROLES),
    Action.MANAGE_VERIFICATION: ({Kind.RESELLER}, _ADMINS),
    Action.AUTHORIZE_PROVIDER: ({Kind.RESELLER}, _AGENTS),
    Action.INVITE_CUSTOMER: ({Kind.RESELLER}, _AGENTS | {Role.SALES_AGENT}),
    Action.VIEW_CUSTOMERS: (
        {Kind.RESELLER, Kind.PROVIDER},
        _AGENTS | {Role.SALES_AGENT, Role.HELPDESK_AGENT},
    ),
    Action.PLACE_ORDER: ({Kind.RESELLER, Kind.PROVIDER}, _AGENTS | {Role.SALES_AGENT}),
    Action.VIEW_BILLING: ({Kind.RESELLER, Kind.PROVIDER}, _ADMINS | {Role.BILLING_ADMIN}),
    Action.INVITE_RESELLER: ({Kind.PROVIDER}, _AGENTS),
    Action.VIEW_RELATIONSHIPS: ({Kind.RESELLER, Kind.PROVIDER}, ALL_PARTNER_ROLES),
    Action.REVIEW_VERIFICATION: ({Kind.OPERATOR}, {Role.VERIFICATION_ADMIN}),
    # A customer's Global admin accepts a reseller's invitation (with the reseller's provider).
    Action.ACCEPT_CUSTOMER_RELATIONSHIP: ({Kind.CUSTOMER}, _ADMINS),
    Action.VIEW_AUDIT_LOG: (set(Kind), _ADMINS),
    # Staff pages (the outbox): any member whose user is staff (see STAFF_ACTIONS).
    Action.READ_OUTBOX: (set(Kind), ALL_PARTNER_ROLES | {Role.VERIFICATION_ADMIN}),
}

# Actions that also need the user to be the portal's staff (`User.is_staff`).
STAFF_ACTIONS: frozenset[Action] = frozenset({Action.READ_OUTBOX})


def can(membership: Membership | None, action: Action) -> bool:
    """True when this membership's organization kind and roles allow `action`."""
    if membership is None:
        return False
    kinds, roles = RULES[action]
    if action in STAFF_ACTIONS and not membership.user.is_staff:
        return False
    return membership.organization.kind in kinds and bool(membership.roles & roles)


def require(membership: Membership | None, action: Action) -> None:
    if not can(membership, action):
        raise PermissionDenied(action.value)


def membership_of(
    actor: User | None, organization: Organization | None, action: Action | None = None
) -> Membership | None:
    """The actor's membership of `organization`. Without an organization (an action on other
    tenants' data, such as the operator's review queue) the actor's membership, in an
    organization kind where `action` exists, that allows it."""
    if actor is None or not actor.is_authenticated:
        return None
    memberships = Membership.objects.select_related("organization", "user").filter(user=actor)
    if organization is not None:
        return memberships.filter(organization=organization).first()
    if action is None:
        return None
    kinds, _roles = RULES[action]
    for membership in memberships.filter(organization__kind__in=kinds).order_by("pk"):
        if can(membership, action):
            return membership
    return None


def require_member(
    *, actor: User | None, organization: Organization | None, action: Action
) -> Membership:
    """The one actor -> membership -> require look-up every service uses: the actor's
    membership (see `membership_of`) when it allows `action`, else PermissionDenied."""
    membership = membership_of(actor, organization, action)
    require(membership, action)
    assert membership is not None
    return membership
