"""Who may do what: the one place role checks live.

Views ask `can(membership, Action.X)`; services call `require(...)` so that a form is never the
only door."""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied

from .models import Membership, Organization, Role

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
    Action.VIEW_AUDIT_LOG: (set(Kind), _ADMINS),
}


def can(membership: Membership | None, action: Action) -> bool:
    """True when this membership's organization kind and roles allow `action`."""
    if membership is None:
        return False
    kinds, roles = RULES[action]
    return membership.organization.kind in kinds and bool(membership.roles & roles)


def require(membership: Membership | None, action: Action) -> None:
    if not can(membership, action):
        raise PermissionDenied(action.value)
