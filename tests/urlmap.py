"""The portal's URL map as the suites that walk it see it: every pattern of every app (Django's
resolver, allauth's pages included), and how to build a real URL for each pattern that names an
object or carries a token (OBJECT_URLS, for one family of tests/tenants.py).

The isolation suite requests these URLs as other tenants; the fuzz suite requests them as their
owners and fuzzes the forms they show. A new URL pattern with a parameter fails the isolation
suite's `test_every_url_with_a_parameter_is_covered` until it gets an entry here."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from tests.tenants import Family

GHOST_PK = 2_000_000_000
GHOST_KEY = "n0t-a-real-key-" + "x" * 28


@dataclass(frozen=True)
class Target:
    """How to request a pattern for one family's objects.

    kind: "object" (another tenant's id must answer like a missing one), "reviewer" (as
    "object", except verification admins, who review every tenant's case by design),
    "capability" (a link's key is the permission: whoever holds it may open the page; without
    it, the answer is the unknown-key page), "step" (not an object: the wizard step of the
    requester's own draft), "staff" (the operator's admin site)."""

    kind: str
    kwargs: Callable[[Family], list[dict[str, Any]]]
    ghost: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    post_writes_allowed: bool = False  # a key holder's POST may act (the key is the permission)


def _pk(name: str, *actions: str, field: str = "pk") -> Callable[[Family], list[dict[str, Any]]]:
    def make(family: Family) -> list[dict[str, Any]]:
        obj = family.objects[name]
        pk = obj.pk  # type: ignore[attr-defined]
        if not actions:
            return [{field: pk}]
        return [{field: pk, "action": action} for action in actions]

    return make


def _ghost_pk(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: (GHOST_PK if k in ("pk", "customer_id") else v) for k, v in kwargs.items()}


def _ghost_key(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {**kwargs, "key": GHOST_KEY}


def _members(family: Family) -> list[dict[str, Any]]:
    return [{"pk": m.pk} for m in family.members["reseller"].values()][:2]


def _keys(family: Family) -> list[dict[str, Any]]:
    return [
        {"key": family.objects["reseller_invitation"].key},  # type: ignore[attr-defined]
        {"key": family.objects["customer_invitation"].key},  # type: ignore[attr-defined]
    ]


def _steps(family: Family) -> list[dict[str, Any]]:
    return [{"step": s} for s in ("legal", "review")]


OBJECT_URLS: dict[str, Target] = {
    "outbox/<int:pk>/": Target("object", _pk("outbox"), _ghost_pk),
    "enroll/reseller/<slug:step>/": Target("step", _steps),
    "settings/identifiers/<int:pk>/associate/": Target("object", _pk("partner_id"), _ghost_pk),
    "settings/users/<int:pk>/": Target("object", _members, _ghost_pk),
    "settings/users/<int:pk>/remove/": Target("object", _members, _ghost_pk),
    "verification/documents/<int:pk>/": Target("object", _pk("document"), _ghost_pk),
    "verify-contact/<str:key>/": Target(
        "capability",
        lambda f: [{"key": f.objects["contact_key"]}],
        _ghost_key,
        post_writes_allowed=True,
    ),
    "verify-contact/<str:key>/new-link/": Target(
        "capability",
        lambda f: [{"key": f.objects["contact_key"]}],
        _ghost_key,
        post_writes_allowed=True,
    ),
    "review/<int:pk>/": Target("reviewer", _pk("case"), _ghost_pk),
    "review/<int:pk>/<slug:action>/": Target(
        "reviewer", _pk("case", "claim", "approve", "reject", "request-info", "assign"), _ghost_pk
    ),
    "review/documents/<int:pk>/": Target("reviewer", _pk("document"), _ghost_pk),
    "indirect-resellers/invitations/<int:pk>/<str:action>/": Target(
        "object", _pk("reseller_invitation", "resend", "revoke"), _ghost_pk
    ),
    "indirect-resellers/<int:pk>/<str:action>/": Target(
        "object", _pk("relationship", "end"), _ghost_pk
    ),
    "indirect-providers/invite-customer/<int:pk>/<str:action>/": Target(
        "object", _pk("customer_invitation", "resend", "revoke"), _ghost_pk
    ),
    "indirect-providers/<int:pk>/<str:action>/": Target(
        "object", _pk("relationship", "end", "remove-admin-access"), _ghost_pk
    ),
    "customers/<int:customer_id>/": Target(
        "object", lambda f: [{"customer_id": f.customer.pk}], _ghost_pk
    ),
    "customers/<int:customer_id>/order/": Target(
        "object", lambda f: [{"customer_id": f.customer.pk}], _ghost_pk
    ),
    "subscriptions/<int:pk>/": Target("object", _pk("subscription"), _ghost_pk),
    "billing/invoices/<int:pk>/": Target("object", _pk("invoice"), _ghost_pk),
    "billing/invoices/<int:pk>/pdf/": Target("object", _pk("invoice"), _ghost_pk),
    "billing/usage/<int:pk>/": Target("object", _pk("usage_import"), _ghost_pk),
    "settings/api-clients/<int:pk>/revoke/": Target("object", _pk("api_client"), _ghost_pk),
    "settings/api-clients/<int:pk>/calls/": Target("object", _pk("api_client"), _ghost_pk),
    # The API answers a session (no bearer token) 401 for any id: the same for a ghost.
    "api/v1/subscriptions/<str:id>/": Target(
        "object", _pk("subscription", field="id"), lambda kwargs: {"id": GHOST_PK}
    ),
    "api/v1/subscriptions/<str:id>/cancel/": Target(
        "object", _pk("subscription", field="id"), lambda kwargs: {"id": GHOST_PK}
    ),
    "subscriptions/<int:pk>/<str:action>/": Target(
        "object",
        _pk("subscription", "quantity", "auto-renew", "cancel", "suspend", "reactivate"),
        _ghost_pk,
    ),
    "customers/<int:customer_id>/administer/": Target(
        "object", lambda f: [{"customer_id": f.customer.pk}], _ghost_pk
    ),
    "customers/<int:customer_id>/admin-access/<int:pk>/remove/": Target(
        "object",
        lambda f: [
            {"customer_id": f.customer.pk, "pk": f.objects["admin_access"].pk}  # type: ignore[attr-defined]
        ],
        _ghost_pk,
    ),
    "partner-relationships/admin-access/<int:pk>/remove/": Target(
        "object", _pk("admin_access"), _ghost_pk
    ),
    "invitations/<str:key>/": Target("capability", _keys, _ghost_key),
    "settings/users/<int:pk>/reset-password/": Target("object", _members, _ghost_pk),
    "customers/<int:customer_id>/gdap/new/": Target(
        "object", lambda f: [{"customer_id": f.customer.pk}], _ghost_pk
    ),
    "customers/<int:customer_id>/gdap/<int:pk>/end/": Target(
        "object",
        lambda f: [{"customer_id": f.customer.pk, "pk": f.objects["gdap"].pk}],  # type: ignore[attr-defined]
        _ghost_pk,
    ),
    "partner-relationships/gdap/<int:pk>/<str:action>/": Target(
        "object", _pk("gdap", "approve", "decline", "end"), _ghost_pk
    ),
    # The email's link: its key is no capability (only a Global admin of the customer it
    # names sees the request), so another tenant's key answers exactly like a made-up one.
    "partner-relationships/gdap/<str:key>/": Target(
        "object",
        lambda f: [{"key": f.objects["gdap"].key}],
        _ghost_key,  # type: ignore[attr-defined]
    ),
    "received-invitations/<int:pk>/<str:action>/": Target(
        "object", _pk("inbox_invitation", "accept", "decline"), _ghost_pk
    ),
    "bulk-invitations/<int:pk>/": Target("object", _pk("bulk_batch"), _ghost_pk),
    "bulk-invitations/<int:pk>/results.csv": Target("object", _pk("bulk_batch"), _ghost_pk),
    # A background export (portal/views_exports.py): its page and its file.
    "exports/<int:pk>/": Target("object", _pk("export"), _ghost_pk),
    "exports/<int:pk>/download/": Target("object", _pk("export"), _ghost_pk),
    # A webhook endpoint (webhooks/): its delivery log and its actions.
    "settings/webhooks/<int:pk>/deliveries/": Target("object", _pk("webhook"), _ghost_pk),
    "settings/webhooks/<int:pk>/rotate/": Target("object", _pk("webhook"), _ghost_pk),
    "settings/webhooks/<int:pk>/test/": Target("object", _pk("webhook"), _ghost_pk),
    "settings/webhooks/<int:pk>/enable/": Target("object", _pk("webhook"), _ghost_pk),
    "settings/webhooks/<int:pk>/delete/": Target("object", _pk("webhook"), _ghost_pk),
    # allauth's own links: only the key's holder gets anything; another key is refused.
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": Target(
        "capability", lambda f: [{"key": GHOST_KEY}], _ghost_key
    ),
    "accounts/welcome/<uidb36>/<key>/": Target(
        "capability", lambda f: [{"uidb36": "zz", "key": GHOST_KEY}], _ghost_key
    ),
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": Target(
        "capability", lambda f: [{"uidb36": "zz", "key": GHOST_KEY}], _ghost_key
    ),
}
STAFF_PREFIX = "operator-admin/"


# Privileged changes in a customer's account (issue 20), for the isolation suite's delegated
# walk: for each POST page of the account, the requests that would make one if a partner acting
# on the customer's behalf got through (what, URL kwargs, body), for one family whose targets
# `tests.tenants.delegated_agents` added. `customer_account_posts()` derives the pages from the
# URL map and the policy; each must be here or in NOT_PRIVILEGED_POSTS.
Variant = tuple[str, dict[str, Any], dict[str, Any]]
# What an irreversible action's confirm page posts (portal/confirm.py): without it the POST only
# asks, and the walk would test nothing.
CONFIRMED = {"confirmed": "yes"}


def _privileged_roles() -> list[str]:
    from portal.policy import PRIVILEGED_ROLES

    return sorted(PRIVILEGED_ROLES)


def _member(family: Family, role: str) -> Any:
    return (
        family.objects["second_admin"]
        if role == "global_admin"
        else (family.members["customer"][role])
    )


def _user_add(family: Family) -> list[Variant]:
    return [
        (
            f"add a user with {role}",
            {},
            {
                "email": f"new.{role}@{family.tag}cust.example",
                "first_name": "New",
                "last_name": "Person",
                "roles": [role],
            },
        )
        for role in _privileged_roles()
    ]


def _user_edit(family: Family) -> list[Variant]:
    plain = family.members["customer"]["helpdesk_agent"]
    found: list[Variant] = []
    for role in _privileged_roles():
        found.append((f"grant {role}", {"pk": plain.pk}, {"roles": ["helpdesk_agent", role]}))
        found.append(
            (f"take {role} away", {"pk": _member(family, role).pk}, {"roles": ["helpdesk_agent"]})
        )
    return found


def _per_holder(what: str) -> Callable[[Family], list[Variant]]:
    def make(family: Family) -> list[Variant]:
        return [
            (f"{what} a {role}", {"pk": _member(family, role).pk}, CONFIRMED)
            for role in _privileged_roles()
        ]

    return make


def _admin_access_remove(family: Family) -> list[Variant]:
    from delegation.models import AdminAccess

    return [
        (f"remove {access.partner.legal_name}'s admin access", {"pk": access.pk}, CONFIRMED)
        for access in AdminAccess.objects.filter(customer=family.customer).select_related("partner")
    ]


def _gdap_answer(family: Family) -> list[Variant]:
    pending = family.objects["gdap"].pk  # type: ignore[attr-defined]
    active = family.objects["gdap_active"].pk  # type: ignore[attr-defined]
    return [
        ("approve GDAP roles", {"pk": pending, "action": "approve"}, {}),
        ("decline GDAP roles", {"pk": pending, "action": "decline"}, CONFIRMED),
        ("end GDAP roles", {"pk": active, "action": "end"}, CONFIRMED),
    ]


def _gdap_link(family: Family) -> list[Variant]:
    key = family.objects["gdap"].key  # type: ignore[attr-defined]
    return [
        ("approve GDAP roles from the email's link", {"key": key}, {"action": "approve"}),
        (
            "decline GDAP roles from the email's link",
            {"key": key},
            {"action": "decline", **CONFIRMED},
        ),
    ]


def _invitation_accept(family: Family) -> list[Variant]:
    invitation = family.objects["customer_inbox_invitation"]
    return [
        (
            "accept a reseller's invitation (it grants admin access)",
            {"pk": invitation.pk, "action": "accept"},  # type: ignore[attr-defined]
            {"confirm": "on"},
        )
    ]


PRIVILEGED_POSTS: dict[str, Callable[[Family], list[Variant]]] = {
    "settings/users/add/": _user_add,
    "settings/users/<int:pk>/": _user_edit,
    "settings/users/<int:pk>/remove/": _per_holder("remove"),
    "settings/users/<int:pk>/reset-password/": _per_holder("reset the password of"),
    "partner-relationships/admin-access/<int:pk>/remove/": _admin_access_remove,
    "partner-relationships/gdap/<int:pk>/<str:action>/": _gdap_answer,
    "partner-relationships/gdap/<str:key>/": _gdap_link,
    # Not derived (the inbox is a dashboard page), but accepting grants partners admin access.
    "received-invitations/<int:pk>/<str:action>/": _invitation_accept,
}
# Pages of a customer's account a delegated role may use that make no privileged change.
NOT_PRIVILEGED_POSTS: dict[str, str] = {
    "subscriptions/<int:pk>/<str:action>/": "subscription changes, a delegated role's work",
}


def customer_account_posts() -> list[str]:
    """The POST pages of a customer's own account that a partner acting on its behalf reaches
    or that would make a privileged change there, from the URL map and the policy table: a
    page open to customers (`organization_kinds`) whose action exists for customers and that
    a delegated role may do (`RULES`) or that is privileged (`PRIVILEGED_ACTIONS`); and every
    page of the customer's Partner relationships (its partners' access, the email's link
    included)."""
    from portal.models import DelegatedRole, Organization
    from portal.policy import PRIVILEGED_ACTIONS, RULES

    customer = Organization.Kind.CUSTOMER
    delegated = {role.value for role in DelegatedRole}
    found = []
    for route, pattern in walk(get_resolver()):
        if route.startswith((STAFF_PREFIX, "accounts/")) or not accepts(pattern, "POST"):
            continue
        if route.startswith("api/"):
            # An API client acts only as its own organization (a bearer token, no session to
            # act on a customer's behalf): `test_no_api_client_reaches_another_tenants_objects`.
            continue
        cls = view_class(pattern)
        kinds = getattr(cls, "organization_kinds", None)
        if kinds is not None and customer not in kinds:
            continue
        action = getattr(cls, "required_action", None)
        if route.startswith("partner-relationships/") or (
            action is not None
            and customer in RULES[action][0]
            and (RULES[action][1] & delegated or action in PRIVILEGED_ACTIONS)
        ):
            found.append(route)
    return found


def walk(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def has_parameter(route: str, pattern: URLPattern) -> bool:
    return bool(getattr(pattern.pattern, "converters", None)) or bool(
        pattern.pattern.regex.groupindex
    )


def parameterised_patterns() -> list[tuple[str, URLPattern]]:
    return [(route, p) for route, p in walk(get_resolver()) if has_parameter(route, p)]


def url(route: str, kwargs: dict[str, Any]) -> str:
    """The path for `route` with `kwargs` (routes and allauth's regexes alike)."""
    path = route
    for name, value in kwargs.items():
        # The regex group first: its name would otherwise read as a route's `<name>`.
        path = re.sub(rf"\(\?P<{name}>[^)]*\)", lambda _m: str(value), path)
        path = re.sub(rf"<(?:\w+:)?{name}>", lambda _m: str(value), path)
    return "/" + path.replace("^", "").replace("$", "")


def view_class(pattern: URLPattern) -> type | None:
    return getattr(pattern.callback, "view_class", None)


def _allowed_methods(pattern: URLPattern) -> set[str] | None:
    """The HTTP methods a function view's `require_http_methods` (or `require_POST`,
    `require_GET`) allows; None when no such decorator restricts it."""
    func: Any = pattern.callback
    while func is not None:
        closure = dict(zip(func.__code__.co_freevars, func.__closure__ or (), strict=True))
        if "request_method_list" in closure:
            return {m.upper() for m in closure["request_method_list"].cell_contents}
        func = getattr(func, "__wrapped__", None)
    return None


def accepts(pattern: URLPattern, method: str) -> bool:
    """Whether the pattern's view handles `method` (GET or POST): a class-based view that
    defines the handler, or a function view whose method decorator allows it. A function view
    without a method decorator is taken to answer GET only (the portal decorates every
    function view that takes a POST)."""
    cls = view_class(pattern)
    if cls is not None:
        name = method.lower()
        return name in cls.http_method_names and hasattr(cls, name)
    allowed = _allowed_methods(pattern)
    return method == "GET" if allowed is None else method in allowed
