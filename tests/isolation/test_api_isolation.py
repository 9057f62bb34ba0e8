"""Tenant isolation of /api/v1/, route by route, for every API client and role: family B's
organizations (provider, reseller, customer, applicant) each get one API client per partner
role (a token from the real token endpoint), and every /api/v1/ route of the URL map is called
by each of them for family A's objects:

- every list and object without a parameter, GET with filters naming A's objects, and again
  acting for A's customer (`Act-As-Customer`), which must answer as for a customer that does
  not exist;
- every route with a parameter (OBJECT_URLS, tests/urlmap.py) for A's object, against a missing
  one's answer;
- every POST with a body naming A's objects, which must change nothing of A's (nor anything at
  all, except the reseller invitations a provider's client may send of its own).

A leak is a server error, an answer that differs from a missing object's, a body that shows A's
names or addresses, or a database change. A new /api/v1/ route is walked as soon as it is in
the URL map."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone

from api.services import api_client_create
from tests.dbstate import db_digest
from tests.figures import report
from tests.tenants import PARTNER_ROLES, Family, build_family
from tests.urlmap import GHOST_PK, OBJECT_URLS, has_parameter, url, walk

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the isolation suite compares database digests with PostgreSQL's md5()",
)

API_PREFIX = "api/v1/"
# Not the tenant's data: the root's links, the token endpoint (tests/api/ covers them), the
# schema and its docs.
NOT_DATA = {"api/v1/", "api/v1/oauth/token/", "api/v1/openapi.json", "api/v1/docs/"}
# Routes whose POST a client may use for its own organization (the row it writes is its own).
OWN_WRITES = {"api/v1/reseller-invitations/"}


class ApiRequester:
    def __init__(self, label: str, token: str):
        self.label = label
        self.client = Client(headers={"Authorization": f"Bearer {token}"})


def _api_requesters(family: Family) -> list[ApiRequester]:
    found = []
    for key in ("provider", "reseller", "customer", "applicant"):
        org = family.orgs()[key]
        admin = family.members[key]["global_admin"]
        for role in PARTNER_ROLES:
            created = api_client_create(
                actor=admin.user,
                organization=org,
                name=f"{family.tag} {key} {role.value}",
                roles=[role.value],
                expires_at=timezone.now() + timedelta(days=30),
            )
            response = Client().post(
                "/api/v1/oauth/token/",
                {
                    "grant_type": "client_credentials",
                    "client_id": created.client.client_id,
                    "client_secret": created.secret,
                },
            )
            assert response.status_code == 200, response.content
            found.append(
                ApiRequester(f"{family.tag} {key} {role.value}", response.json()["access_token"])
            )
    return found


def api_routes() -> list[tuple[str, bool]]:
    """Every /api/v1/ route of the URL map with data, and whether it has a parameter."""
    return [
        (route, has_parameter(route, pattern))
        for route, pattern in walk(get_resolver())
        if route.startswith(API_PREFIX) and route not in NOT_DATA
    ]


def _bodies(owner: Family) -> dict[str, Any]:
    """A POST body naming the owner's objects, for every route that takes one."""
    return {
        "provider_id": owner.provider.pk,
        "email": "someone@leak-check.example",
        "company_name": "Leak check S.p.A.",
        "partner_id": "",
        "customer_id": owner.customer.pk,
        "quantity": 1,
    }


class ApiAudit:
    def __init__(self, owner: Family):
        self.owner = owner
        self.requests = 0
        self.leaks: list[str] = []

    def call(self, requester: ApiRequester, method: str, path: str, **extra: Any):
        self.requests += 1
        with transaction.atomic():
            before = db_digest() if method == "POST" else ""
            if method == "GET":
                response = requester.client.get(path, **extra)
            else:
                response = requester.client.post(
                    path, _bodies(self.owner), content_type="application/json", **extra
                )
            changed = method == "POST" and db_digest() != before
            transaction.set_rollback(True)
        body = response.content.decode(errors="replace")
        if response.status_code >= 500:
            self.leak(requester, method, path, f"server error {response.status_code}")
        shown = [m for m in self.owner.markers if m.lower() in body.lower()]
        if shown:
            self.leak(requester, method, path, f"shows {shown}")
        return response, changed

    def leak(self, requester: ApiRequester, method: str, path: str, why: str) -> None:
        self.leaks.append(f"{method} {path} as {requester.label}: {why}")


def _act_as(customer_id: int) -> dict[str, Any]:
    return {"headers": {"Act-As-Customer": str(customer_id)}}


@on_postgresql
@pytest.mark.django_db
def test_no_api_client_reaches_another_tenants_data():
    started = time.monotonic()
    alpha, bravo = build_family("alpha"), build_family("bravo")
    requesters = _api_requesters(bravo)
    audit = ApiAudit(alpha)
    routes = api_routes()
    naming = (
        f"?provider={alpha.provider.pk}&reseller={alpha.reseller.pk}"
        f"&customer={alpha.customer.pk}&id={alpha.customer.pk}"
    )
    for route, parameterised in routes:
        if parameterised:
            target = OBJECT_URLS[route]
            assert target.ghost is not None, route
            variants = [
                (url(route, kwargs), url(route, target.ghost(kwargs)))
                for kwargs in target.kwargs(alpha)
            ]
        else:
            variants = [("/" + route + naming, "/" + route + naming)]
        for requester in requesters:
            for path, ghost_path in variants:
                for method in ("GET", "POST"):
                    response, changed = audit.call(requester, method, path)
                    if changed and not (method == "POST" and route in OWN_WRITES):
                        audit.leak(requester, method, path, "the POST changed the database")
                    ghost, _ghost_changed = audit.call(requester, method, ghost_path)
                    if parameterised and response.status_code != ghost.status_code:
                        audit.leak(
                            requester,
                            method,
                            path,
                            f"answered {response.status_code} where a missing object answers "
                            f"{ghost.status_code}",
                        )
                # Acting for the other family's customer: as for a customer that does not exist.
                acting, _c = audit.call(requester, "GET", path, **_act_as(alpha.customer.pk))
                missing, _c = audit.call(requester, "GET", path, **_act_as(GHOST_PK))
                if acting.status_code != missing.status_code or acting.status_code == 200:
                    audit.leak(
                        requester,
                        "GET",
                        path,
                        f"acting for another tenant's customer answered {acting.status_code} "
                        f"(a missing customer: {missing.status_code})",
                    )
    elapsed = time.monotonic() - started
    report(
        "isolation",
        f"API: {audit.requests} requests, {len(audit.leaks)} leaks ({len(routes)} /api/v1/ "
        f"routes, {len(requesters)} API clients: 4 organizations x {len(PARTNER_ROLES)} roles, "
        f"GET, POST and Act-As-Customer; {elapsed:.0f} s)",
    )
    assert not audit.leaks, "\n".join(audit.leaks)
    assert len(routes) >= 14
    assert audit.requests >= len(routes) * len(requesters) * 6
