"""Who may do what: the one place role checks live.

Views ask `can(membership, Action.X)` (TenantViewMixin does it for a page's `required_action`);
services call `require_member(actor=..., organization=..., action=...)`, which finds the acting
user's membership and `require`s the action, so that a form is never the only door. Reviewers
and staff go through the same table: their pages and services name an Action too."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from .models import DelegatedRole, Membership, Organization, Role, User

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
    # Commerce: subscriptions and their changes (DOMAIN.md "What an authorization grants").
    VIEW_SUBSCRIPTIONS = "view_subscriptions"
    CHANGE_SUBSCRIPTION_QUANTITY = "change_subscription_quantity"
    MANAGE_SUBSCRIPTION = "manage_subscription"  # auto-renew, cancel
    SUSPEND_SUBSCRIPTION = "suspend_subscription"  # suspend / reactivate (the provider)
    # A seller's price list (the provider's to its resellers, a reseller's to its customers):
    # see the rules and add one.
    MANAGE_PRICE_LISTS = "manage_price_lists"
    # Users of an account: resetting the password of a member who is not an admin.
    RESET_USER_PASSWORD = "reset_user_password"
    # A partner's side of delegated admin: open "Administer on behalf of", request granular
    # roles (GDAP), end them, remove a provider's admin access to a customer (the reseller).
    ADMINISTER_ON_BEHALF = "administer_on_behalf"
    MANAGE_DELEGATED_ACCESS = "manage_delegated_access"
    # A customer's side: the Partner relationships page (remove DAP, approve or end GDAP).
    MANAGE_PARTNER_ACCESS = "manage_partner_access"
    # The programme operator's staff: the operations page (backlog, queues, heartbeats, SLA
    # breaches) and sending a failed email again from it.
    VIEW_OPERATIONS = "view_operations"
    RETRY_EMAIL = "retry_email"
    # Webhook endpoints of the organization: their URLs, secrets and delivery logs.
    MANAGE_WEBHOOKS = "manage_webhooks"
    # An organization's API clients (/settings/api-clients/, the `api` app): create, revoke.
    MANAGE_API_CLIENTS = "manage_api_clients"
    # Invoices the organization issued and received, their PDFs and reconciliation files.
    VIEW_INVOICES = "view_invoices"
    # A provider's daily usage of its usage-based subscriptions: the usage file upload.
    IMPORT_USAGE = "import_usage"


ALL_PARTNER_ROLES: set[str] = {
    Role.GLOBAL_ADMIN,
    Role.ADMIN_AGENT,
    Role.SALES_AGENT,
    Role.HELPDESK_AGENT,
    Role.BILLING_ADMIN,
}
_ADMINS: set[str] = {Role.GLOBAL_ADMIN}
_AGENTS: set[str] = {Role.GLOBAL_ADMIN, Role.ADMIN_AGENT}
_PARTNERS: set[str] = {Kind.RESELLER, Kind.PROVIDER}
_COMMERCE: set[str] = {Kind.RESELLER, Kind.PROVIDER, Kind.CUSTOMER}
# Delegated roles exist only in a customer's account (portal.delegation builds them there), so
# a row may list them beside the members' roles: each allows exactly the actions naming it.
_DAP = DelegatedRole.DELEGATED_ADMIN
_USER_ADMIN = DelegatedRole.USER_ADMINISTRATOR
_HELPDESK_ADMIN = DelegatedRole.HELPDESK_ADMINISTRATOR
_LICENSE_ADMIN = DelegatedRole.LICENSE_ADMINISTRATOR
_BILLING_READER = DelegatedRole.BILLING_READER

# GDAP first, as Partner Center since DAP's retirement: accepting a reseller's customer invitation
# no longer grants delegated admin (DAP); the customer approves, as it accepts (a box it may
# untick), these granular roles for the reseller. Least privilege for a reseller's everyday work:
# Helpdesk administrator sees the users and resets their passwords (support calls) without
# creating users or changing roles; Billing reader reads the bills it answers questions about,
# changing nothing. User and License administrator change who works and what is bought: the
# reseller asks for those on their own request. A fixed year, not auto-extended: long enough for
# a yearly subscription cycle, well under GDAP's 730-day maximum, and the customer approves again.
ACCEPTANCE_GDAP_ROLES: tuple[DelegatedRole, ...] = (_HELPDESK_ADMIN, _BILLING_READER)
ACCEPTANCE_GDAP_DAYS = 365

# action -> (organization kinds where it exists, roles that may do it)
RULES: dict[Action, tuple[set[str], set[str]]] = {
    Action.VIEW_DASHBOARD: (set(Kind), ALL_PARTNER_ROLES | {Role.VERIFICATION_ADMIN}),
    Action.VIEW_LEGAL_INFO: ({Kind.RESELLER, Kind.PROVIDER, Kind.CUSTOMER}, ALL_PARTNER_ROLES),
    Action.EDIT_LEGAL_INFO: ({Kind.RESELLER, Kind.PROVIDER, Kind.CUSTOMER}, _ADMINS),
    Action.VIEW_USERS: (set(Kind), _ADMINS | {_DAP, _USER_ADMIN, _HELPDESK_ADMIN}),
    Action.MANAGE_USERS: (set(Kind), _ADMINS | {_DAP, _USER_ADMIN}),
    Action.RESET_USER_PASSWORD: (set(Kind), _ADMINS | {_DAP, _USER_ADMIN, _HELPDESK_ADMIN}),
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
    Action.VIEW_BILLING: (_COMMERCE, _ADMINS | {Role.BILLING_ADMIN, _DAP, _BILLING_READER}),
    Action.VIEW_SUBSCRIPTIONS: (
        _COMMERCE,
        ALL_PARTNER_ROLES | {_DAP, _LICENSE_ADMIN, _BILLING_READER},
    ),
    Action.CHANGE_SUBSCRIPTION_QUANTITY: (
        _COMMERCE,
        _AGENTS | {Role.SALES_AGENT, _DAP, _LICENSE_ADMIN},
    ),
    Action.MANAGE_SUBSCRIPTION: (_COMMERCE, _AGENTS | {Role.SALES_AGENT, _DAP}),
    Action.SUSPEND_SUBSCRIPTION: ({Kind.PROVIDER}, _AGENTS),
    Action.MANAGE_PRICE_LISTS: ({Kind.RESELLER, Kind.PROVIDER}, _ADMINS | {Role.BILLING_ADMIN}),
    Action.ADMINISTER_ON_BEHALF: (_PARTNERS, _AGENTS),
    Action.MANAGE_DELEGATED_ACCESS: (_PARTNERS, _AGENTS),
    Action.MANAGE_PARTNER_ACCESS: ({Kind.CUSTOMER}, _ADMINS),
    Action.INVITE_RESELLER: ({Kind.PROVIDER}, _AGENTS),
    Action.VIEW_RELATIONSHIPS: ({Kind.RESELLER, Kind.PROVIDER}, ALL_PARTNER_ROLES),
    Action.REVIEW_VERIFICATION: ({Kind.OPERATOR}, {Role.VERIFICATION_ADMIN}),
    # A customer's Global admin accepts a reseller's invitation (with the reseller's provider).
    Action.ACCEPT_CUSTOMER_RELATIONSHIP: ({Kind.CUSTOMER}, _ADMINS),
    Action.VIEW_AUDIT_LOG: (set(Kind), _ADMINS),
    # Staff pages (the outbox): any member whose user is staff (see STAFF_ACTIONS).
    Action.READ_OUTBOX: (set(Kind), ALL_PARTNER_ROLES | {Role.VERIFICATION_ADMIN}),
    # The operator's own people keep the programme running: its Global admins and verification
    # admins (who already see every tenant's cases). No partner's member, whatever its roles.
    Action.VIEW_OPERATIONS: ({Kind.OPERATOR}, _ADMINS | {Role.VERIFICATION_ADMIN}),
    Action.RETRY_EMAIL: ({Kind.OPERATOR}, _ADMINS | {Role.VERIFICATION_ADMIN}),
    # A partner's or customer's own Global admins (never a delegated partner: a webhook sends
    # the account's events elsewhere).
    Action.MANAGE_WEBHOOKS: (_COMMERCE, _ADMINS),
    Action.MANAGE_API_CLIENTS: (_COMMERCE, _ADMINS),
    # The organization's own Global and Billing admins only: an invoice carries the prices of
    # one tier, and a partner acting in a customer's account (a delegated role) may be another
    # reseller of that customer, who must never see its competitor's prices.
    Action.VIEW_INVOICES: (_COMMERCE, _ADMINS | {Role.BILLING_ADMIN}),
    # The provider's own Global and Billing admins: usage is what the provider bills.
    Action.IMPORT_USAGE: ({Kind.PROVIDER}, _ADMINS | {Role.BILLING_ADMIN}),
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


# Privileged roles of an account: the member roles that manage its users, its partners' access
# or its billing, derived from the table (today Global admin and Billing admin). Only the
# account's own members change them: see `privileged_change_refusal`.
PRIVILEGED_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.MANAGE_USERS,
        Action.RESET_USER_PASSWORD,
        Action.MANAGE_PARTNER_ACCESS,
        Action.VIEW_BILLING,
    }
)
PRIVILEGED_ROLES: frozenset[str] = frozenset(
    role.value for role in Role if any(role.value in RULES[a][1] for a in PRIVILEGED_ACTIONS)
)


class PrivilegedChangeRefused(PermissionDenied):
    """A refusal of `require_privileged_change`; its message is the translated reason the 403
    page shows (`portal.errors.permission_denied`)."""


def privileged_change_refusal(
    acting: Membership,
    *,
    roles_before: Iterable[str] = (),
    roles_after: Iterable[str] = (),
    partner_access: bool = False,
) -> str | None:
    """Why `acting` may not make this change, or None: the one rule of privileged changes.

    A partner acting on a customer's behalf (a delegated membership: DAP or any GDAP role)
    neither grants, removes nor changes a privileged role (`PRIVILEGED_ROLES`), nor adds,
    removes, resets the password of or otherwise changes a member who holds one or would
    (`roles_before`: the member's roles now, empty for a new member; `roles_after`: after the
    change, empty for a removal), nor changes the customer's partner access (`partner_access`:
    removing DAP, approving, declining or ending GDAP). So the customer's own Global admins
    stay out of the reach of anyone outside the organization."""
    if not acting.is_delegated:
        return None
    organization = acting.organization.legal_name
    if partner_access:
        return _(
            "A partner acting on behalf of %(organization)s cannot change its partners' "
            "access: only a Global admin of %(organization)s can."
        ) % {"organization": organization}
    touched = (set(roles_before) | set(roles_after)) & PRIVILEGED_ROLES
    if not touched:
        return None
    roles = ", ".join(str(role.label) for role in Role if role.value in PRIVILEGED_ROLES)
    return _(
        "A partner acting on behalf of %(organization)s cannot give or take away the roles "
        "%(roles)s, nor add, change, remove or reset the password of a user who holds one: "
        "only a Global admin of %(organization)s can."
    ) % {"organization": organization, "roles": roles}


def require_privileged_change(
    acting: Membership,
    *,
    roles_before: Iterable[str] = (),
    roles_after: Iterable[str] = (),
    partner_access: bool = False,
) -> None:
    """`privileged_change_refusal`, raised: every service making such a change calls it,
    after `require_member` and before writing anything."""
    refusal = privileged_change_refusal(
        acting, roles_before=roles_before, roles_after=roles_after, partner_access=partner_access
    )
    if refusal:
        raise PrivilegedChangeRefused(refusal)


# A membership that is not the user's own row: an API client's (the `api` app builds one with
# the client's roles, and a delegated one when the client acts for a customer). While it is set
# (`acting_membership()`), `membership_of` answers it for its user and organization, so the
# services' one look-up decides an API call with the client's roles, never the user's own.
_acting: ContextVar[Membership | None] = ContextVar("portal_acting_membership", default=None)


@contextmanager
def acting_membership(membership: Membership) -> Iterator[None]:
    """For the length of a call, `membership_of(membership.user, ...)` is `membership`: the
    services' own `require_member` checks a built membership (an API client's roles) through
    the same table, with no second path."""
    token = _acting.set(membership)
    try:
        yield
    finally:
        _acting.reset(token)


def membership_of(
    actor: User | None, organization: Organization | None, action: Action | None = None
) -> Membership | None:
    """The actor's membership of `organization`. Without an organization (an action on other
    tenants' data, such as the operator's review queue) the actor's membership, in an
    organization kind where `action` exists, that allows it. Inside `acting_membership()`,
    that membership for its user: in its organization, and no other."""
    if actor is None or not actor.is_authenticated:
        return None
    acting = _acting.get()
    if acting is not None and actor.pk is not None and acting.user_id == actor.pk:
        if organization is not None and acting.organization_id != organization.pk:
            return None
        if organization is None and (action is None or not can(acting, action)):
            return None
        return acting
    memberships = Membership.objects.select_related("organization", "user").filter(user=actor)
    if organization is not None:
        membership = memberships.filter(organization=organization).first()
        if membership is None:
            # A partner's agent acting in a customer's account (DAP or GDAP roles there).
            from .delegation import delegated_membership

            membership = delegated_membership(actor, organization)
        return membership
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
    membership (see `membership_of`) when it allows `action`, else PermissionDenied.

    A delegated membership (a partner's agent in a customer's account), asked for inside the
    service's transaction, is checked again with its granting rows locked
    (`portal.delegation.delegated_access_lock`): the write commits before a removal or is
    refused after it. A service a delegated role may call asks inside its `atomic()`."""
    membership = membership_of(actor, organization, action)
    if (
        membership is not None
        and membership.is_delegated
        and transaction.get_connection().in_atomic_block
    ):
        from .delegation import delegated_access_lock

        membership = delegated_access_lock(membership)
    require(membership, action)
    assert membership is not None
    return membership
