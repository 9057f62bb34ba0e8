"""Tenant isolation, URL by URL: every URL pattern that names an object or carries a token is
requested for family A's objects by every role of every organization of family B, GET and
POST, plus anonymously. A leak is:

- a server error;
- an answer that differs from the one for an object that does not exist (status and redirect
  target): a 403 or a confirmation page for another tenant's id tells its existence;
- a page that shows the other family's names or addresses;
- a POST that changes anything in the database.

Every list page and CSV export is also read by every member of B, with filters naming A's
objects, and must not show A's data.

Partners acting in a customer's account on its behalf (issue 20): every POST page of family A's
customer account that a delegated role reaches or that makes a privileged change
(`customer_account_posts`, from the URL map and the policy table) gets each privileged request
of PRIVILEGED_POSTS (a Global or Billing admin role granted, taken away or given to a new user,
such a member's password reset or removal, the partners' access removed, approved, declined
or ended) from each delegated requester: the reseller's and the provider's Admin agents (DAP)
and one agent per GDAP role. Each must be refused (403, or the page again saying why) and
change nothing in the database. A new URL pattern with a parameter fails
`test_every_url_with_a_parameter_is_covered` until it gets an entry in OBJECT_URLS
(tests/urlmap.py, shared with the fuzz suite)."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, get_resolver

from portal.delegation import ACTING_FOR_SESSION_KEY, delegated_membership
from portal.models import Membership
from tests.dbstate import db_digest
from tests.figures import report
from tests.tenants import PARTNER_ROLES, Family, build_family, delegated_agents
from tests.urlmap import (
    NOT_PRIVILEGED_POSTS,
    OBJECT_URLS,
    PRIVILEGED_POSTS,
    STAFF_PREFIX,
    Target,
    customer_account_posts,
    has_parameter,
    parameterised_patterns,
    url,
    walk,
)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the isolation suite compares database digests with PostgreSQL's md5(); "
    "CI runs it on PostgreSQL",
)

# A POST body that would make each action succeed if the view let it through (a guard that
# fails must show up as a change in the database, not as a form error).
POST_BODY = {
    "confirm": "on",
    "confirmed": "yes",  # an irreversible action's confirm page (portal/confirm.py)
    "signed_up": "on",
    "address_belongs": "on",
    "action": "accept",
    "version": "1",
    "reason": "other",
    "note": "isolation",
    "message": "isolation",
    "document_types": "registration_certificate",
    "roles": "global_admin",
    "email": "someone@example.com",
    "name": "Isolation roles",
    "duration_days": "30",
    "quantity": "1",
    "term": "monthly",
    "billing_frequency": "monthly",
    "auto_renew": "off",
    "legal_name": "Isolation S.p.A.",
    "country": "IT",
}


def test_every_url_with_a_parameter_is_covered():
    uncovered = [
        route
        for route, _ in parameterised_patterns()
        if route not in OBJECT_URLS and not route.startswith(STAFF_PREFIX)
    ]
    assert uncovered == [], (
        "Add these URL patterns to OBJECT_URLS in tests/urlmap.py "
        f"(how to build their objects and what a refusal looks like): {uncovered}"
    )


def test_every_privileged_post_of_a_customer_account_is_walked():
    unclassified = [
        route
        for route in customer_account_posts()
        if route not in PRIVILEGED_POSTS and route not in NOT_PRIVILEGED_POSTS
    ]
    assert unclassified == [], (
        "Add the privileged requests of these pages of a customer's account to PRIVILEGED_POSTS "
        f"in tests/urlmap.py (or say in NOT_PRIVILEGED_POSTS why none is): {unclassified}"
    )


class Requester:
    """A signed-in member (or nobody) with a client; with `acting_for`, acting in that
    customer's account on its behalf (as "Administer on behalf of" leaves the session)."""

    def __init__(self, label: str, membership: Membership | None, acting_for: int | None = None):
        self.label = label
        self.membership = membership
        self.client = Client()
        if membership is not None:
            self.client.force_login(membership.user)
        if acting_for is not None:
            session = self.client.session
            session[ACTING_FOR_SESSION_KEY] = acting_for
            session.save()

    @property
    def is_reviewer(self) -> bool:
        return bool(self.membership and self.membership.verification_admin)


def _requesters(family: Family) -> list[Requester]:
    """Nobody, and every role of every organization of `family` (the applicant, a second
    reseller, as its Global admin only: its roles are the reseller's)."""
    found = [Requester("anonymous", None)]
    for org_key, roles in family.members.items():
        for role, membership in roles.items():
            if org_key != "applicant" or role == "global_admin":
                found.append(Requester(f"{family.tag} {org_key} {role}", membership))
    return found


def _answer(response) -> tuple[int, str]:
    return response.status_code, response.get("Location", "")


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


class Audit:
    def __init__(self) -> None:
        self.requests = 0
        self.leaks: list[str] = []
        self._ghosts: dict[tuple[str, str, str], tuple[int, str]] = {}

    def request(self, requester: Requester, method: str, path: str):
        self.requests += 1
        if method == "GET":
            return requester.client.get(path)
        return requester.client.post(path, POST_BODY)

    def ghost(self, requester: Requester, method: str, path: str) -> tuple[int, str]:
        key = (requester.label, method, path)
        if key not in self._ghosts:
            with transaction.atomic():
                response = self.request(requester, method, path)
                transaction.set_rollback(True)
            self._ghosts[key] = _answer(response)
        return self._ghosts[key]

    def leak(self, requester: Requester, method: str, path: str, why: str) -> None:
        self.leaks.append(f"{method} {path} as {requester.label}: {why}")


def _check_object_url(
    audit: Audit,
    requester: Requester,
    route: str,
    target: Target,
    kwargs: dict[str, Any],
    owner: Family,
) -> None:
    path = url(route, kwargs)
    entitled = target.kind == "reviewer" and requester.is_reviewer
    for method in ("GET", "POST"):
        with transaction.atomic():
            before = db_digest() if method == "POST" else ""
            response = audit.request(requester, method, path)
            changed = method == "POST" and db_digest() != before
            transaction.set_rollback(True)
        status, location = _answer(response)
        if status >= 500:
            audit.leak(requester, method, path, f"server error {status}")
            continue
        if entitled:
            continue
        if changed and not target.post_writes_allowed:
            audit.leak(requester, method, path, "the POST changed the database")
        if target.kind in ("object", "reviewer") and target.ghost is not None:
            ghost_path = url(route, target.ghost(kwargs))
            ghost = audit.ghost(requester, method, ghost_path)
            ghost = (ghost[0], ghost[1].replace(quote(ghost_path), quote(path)))
            if (status, location) != ghost:
                audit.leak(
                    requester,
                    method,
                    path,
                    f"answered {status} {location} where a missing object answers "
                    f"{ghost[0]} {ghost[1]}",
                )
        if status == 200 and target.kind != "capability":
            shown = [m for m in owner.markers if m in _body(response)]
            if shown:
                audit.leak(requester, method, path, f"shows {shown}")


def _list_paths(owner: Family) -> list[str]:
    """Every page without a parameter that lists or exports something, with filters that
    name the owner's objects."""
    paths = []
    for route, pattern in walk(get_resolver()):
        if has_parameter(route, pattern) or route.startswith((STAFF_PREFIX, "accounts/")):
            continue
        if route in ("language/",):
            continue
        paths.append("/" + route)
    # Filters naming the owner's objects: a list that trusted them instead of the requester's
    # tenant would show the owner's rows (and an unscoped list shows them anyway).
    naming = (
        f"?provider={owner.provider.pk}&reseller={owner.reseller.pk}&customer={owner.customer.pk}"
    )
    return [p + naming for p in paths]


def _check_list(audit: Audit, requester: Requester, path: str, owner: Family) -> None:
    response = audit.request(requester, "GET", path)
    if response.status_code >= 500:
        audit.leak(requester, "GET", path, f"server error {response.status_code}")
        return
    if response.status_code != 200:
        return
    if requester.is_reviewer and path.startswith(("/review/", "/operations/")):
        # The verification queue and the operations page (failed emails) are every tenant's,
        # for the operator's staff.
        return
    shown = [m for m in owner.markers if m in _body(response)]
    if shown:
        audit.leak(requester, "GET", path, f"shows {shown}")


def _check_staff_urls(audit: Audit, requesters: list[Requester]) -> None:
    """The operator's admin site: every object URL sends a non-staff member to its sign-in."""
    for route, _pattern in parameterised_patterns():
        if not route.startswith(STAFF_PREFIX):
            continue
        kwargs = {name: 1 for name in ("object_id", "id", "content_type_id")}
        path = url(route, kwargs)
        for requester in requesters:
            for method in ("GET", "POST"):
                with transaction.atomic():
                    before = db_digest() if method == "POST" else ""
                    response = audit.request(requester, method, path)
                    changed = method == "POST" and db_digest() != before
                    transaction.set_rollback(True)
                status, location = _answer(response)
                if status != 302 or not location.startswith("/operator-admin/login/"):
                    audit.leak(requester, method, path, f"answered {status} {location}")
                if changed:
                    audit.leak(requester, method, path, "the POST changed the database")


@on_postgresql
@pytest.mark.django_db
def test_no_tenant_reaches_another_tenants_objects():
    started = time.monotonic()
    alpha, bravo = build_family("alpha"), build_family("bravo")
    audit = Audit()
    # One direction is enough (the families are built alike); bravo is there so that every
    # requester has data of its own, as a real tenant has.
    requesters = _requesters(bravo)
    for route, target in OBJECT_URLS.items():
        for kwargs in target.kwargs(alpha):
            for requester in requesters:
                _check_object_url(audit, requester, route, target, kwargs, alpha)
    for path in _list_paths(alpha):
        for requester in requesters:
            _check_list(audit, requester, path, alpha)
    _check_staff_urls(audit, requesters[1:2])
    elapsed = time.monotonic() - started
    report(
        "isolation",
        f"{audit.requests} requests, {len(audit.leaks)} leaks ({len(OBJECT_URLS)} object URL "
        f"patterns, {len(_list_paths(alpha))} list pages and CSV exports, the admin site; "
        f"{len(requesters)} requesters of 5 organizations, GET and POST; {elapsed:.0f} s)",
    )
    assert not audit.leaks, "\n".join(audit.leaks)
    assert audit.requests >= 500


REASONS = ("cannot give or take away the roles", "cannot change its partners")
# Pages that refuse a delegated actor by not knowing the link (the GDAP email's link shows the
# request to the customer's own Global admins only): their 404 is the refusal.
UNKNOWN_TO_DELEGATED = {"partner-relationships/gdap/<str:key>/"}


def _says_why(response) -> bool:
    return any(reason in _body(response) for reason in REASONS)


def _refusal(route: str, response) -> tuple[str, str | None]:
    """How the answer (redirects followed) refused the change, or None and what it was: a 403,
    the page again with the reason (an error or a message, after a redirect or not), or a 404
    where the link is unknown to a delegated actor."""
    hops = [f"{status} {location}" for location, status in response.redirect_chain]
    status = response.status_code
    says_why = status == 200 and _says_why(response)
    if not hops and status == 403:
        return ("403 with the reason" if _says_why(response) else "403"), None
    if not hops and status == 404 and route in UNKNOWN_TO_DELEGATED:
        return "404 (unknown link)", None
    if says_why and not any("/login/" in hop for hop in hops):
        return ("redirect to the reason" if hops else "the reason on the page"), None
    return "", f"answered {' -> '.join([*hops, str(status)])}"


@on_postgresql
@pytest.mark.django_db
def test_no_delegated_partner_makes_a_privileged_change():
    started = time.monotonic()
    alpha = build_family("alpha")
    customer = alpha.customer
    requesters = []
    for label, (agent, roles) in delegated_agents(alpha).items():
        # The walk is vacuous unless each one really acts in the account with these roles.
        delegated = delegated_membership(agent.user, customer)
        assert delegated is not None and delegated.delegated_roles == roles, label
        requesters.append(Requester(label, agent, acting_for=customer.pk))
    routes = sorted(
        set(customer_account_posts()) - set(NOT_PRIVILEGED_POSTS) | set(PRIVILEGED_POSTS)
    )
    variants = [
        (route, what, url(route, kwargs), body)
        for route in routes
        for what, kwargs, body in PRIVILEGED_POSTS[route](alpha)
    ]
    posts, accepted, how = 0, [], Counter()
    for requester in requesters:
        for route, what, path, body in variants:
            with transaction.atomic():
                before = db_digest()
                response = requester.client.post(path, body, follow=True)
                changed = db_digest() != before
                transaction.set_rollback(True)
            posts += 1
            refused, wrong = _refusal(route, response)
            how[refused] += 1
            if response.status_code >= 500:
                wrong = f"server error {response.status_code}"
            if changed:
                wrong = f"{wrong or 'refused'}, but the database changed"
            if wrong:
                accepted.append(f"POST {path} ({what}) as {requester.label}: {wrong}")
    elapsed = time.monotonic() - started
    report(
        "isolation",
        f"delegated: {posts} privileged POSTs by {len(requesters)} delegated requesters "
        f"(DAP x2, GDAP x{len(requesters) - 2}) on {len(routes)} pages of a customer's "
        f"account, {len(accepted)} accepted (refused: "
        + ", ".join(f"{n} {k}" for k, n in sorted(how.items()) if k)
        + f"; {elapsed:.0f} s)",
    )
    assert not accepted, "\n".join(accepted)
    assert posts >= len(requesters) * 15


# /api/v1/: every route (the URL map's, so a new endpoint is walked without a line here), every
# method an endpoint may have, by an API client of each role of each organization of family B.
API_PREFIX = "api/v1/"
API_NOT_ENDPOINTS = ("api/v1/oauth/", "api/v1/openapi.json", "api/v1/docs/")
API_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def api_routes() -> list[tuple[str, URLPattern]]:
    return [
        (route, pattern)
        for route, pattern in walk(get_resolver())
        if route.startswith(API_PREFIX)
        and route != API_PREFIX  # the root: links, no data (tests/api/test_root.py)
        and not route.startswith(API_NOT_ENDPOINTS)
    ]


def _api_body(owner: Family) -> dict[str, Any]:
    """A body naming the owner's objects that would succeed if an endpoint trusted it."""
    from commerce.models import Offer

    offer = Offer.objects.filter(is_active=True).order_by("pk").first()
    return {
        "customer_id": owner.customer.pk,
        "provider_id": owner.provider.pk,
        "reseller_id": owner.reseller.pk,
        "offer_id": offer.pk if offer else 1,
        "quantity": 2,
        "term": "monthly",
        "billing_frequency": "monthly",
        "auto_renew": False,
        "email": f"{owner.tag}apiinvitee@example.com",
        "legal_name": "Isolation S.p.A.",
        "country": "IT",
    }


class ApiRequester:
    def __init__(self, label: str, token: str):
        self.label = label
        self.client = Client(headers={"Authorization": f"Bearer {token}", "If-Match": "*"})


def _api_requesters(family: Family) -> list[ApiRequester]:
    from tests.api.factories import api_client_of, token_response

    found = []
    for org_key in ("provider", "reseller", "customer"):
        admin = family.members[org_key]["global_admin"]
        for role in PARTNER_ROLES:
            created = api_client_of(admin, [role.value], name=f"Isolation {role.value}")
            token = token_response(created).json()["access_token"]
            found.append(ApiRequester(f"{family.tag} {org_key} API client {role.value}", token))
    return found


def _api_call(requester: ApiRequester, method: str, path: str, body: dict[str, Any]):
    return requester.client.generic(
        method, path, json.dumps(body) if method != "GET" else "", "application/json"
    )


@on_postgresql
@pytest.mark.django_db
def test_no_api_client_reaches_another_tenants_objects(settings):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "api_client": "100000/m"}
    alpha, bravo = build_family("alpha"), build_family("bravo")
    requesters = _api_requesters(bravo)
    body = _api_body(alpha)
    leaks: list[str] = []
    requests = 0
    routes = api_routes()
    assert len(routes) >= 7, routes
    for route, pattern in routes:
        if has_parameter(route, pattern):
            target = OBJECT_URLS[route]
            cases = [(url(route, kw), url(route, target.ghost(kw))) for kw in target.kwargs(alpha)]  # type: ignore[misc]
        else:
            naming = f"?customer_id={alpha.customer.pk}&provider_id={alpha.provider.pk}"
            cases = [("/" + route + naming, None)]
        for path, ghost_path in cases:
            for requester in requesters:
                for method in API_METHODS:
                    requests += 1
                    writes = method != "GET"
                    with transaction.atomic():
                        before = db_digest() if writes else ""
                        response = _api_call(requester, method, path, body)
                        changed = writes and db_digest() != before
                        transaction.set_rollback(True)
                    where = f"{method} {path} as {requester.label}"
                    status = response.status_code
                    if status >= 500:
                        leaks.append(f"{where}: server error {status}")
                        continue
                    text = _body(response)
                    shown = [m for m in alpha.markers if m in text]
                    if shown:
                        leaks.append(f"{where}: shows {shown}")
                    if ghost_path is None:
                        continue  # a list or a create: its own organization's rows only
                    if changed:
                        leaks.append(f"{where}: changed the database")
                    with transaction.atomic():
                        ghost = _api_call(requester, method, ghost_path, body)
                        transaction.set_rollback(True)
                    if (status, response.get("Content-Type")) != (
                        ghost.status_code,
                        ghost.get("Content-Type"),
                    ) or (status != 405 and json.loads(text) != ghost.json()):
                        leaks.append(
                            f"{where}: answered {status} where a missing one answers "
                            f"{ghost.status_code}"
                        )
    report(
        "isolation (API)",
        f"{requests} requests, {len(leaks)} leaks ({len(routes)} API routes, "
        f"{len(requesters)} API clients of 3 organizations, {len(API_METHODS)} methods)",
    )
    assert not leaks, "\n".join(leaks)
