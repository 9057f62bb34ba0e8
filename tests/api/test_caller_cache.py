"""A known bearer token is answered from the cache (api/caller_cache.py): no query for the token
or its client, and still every change that decides a call (a revocation, an expiry, the client's
roles, the organization) is seen by the very next call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import AccessToken

from api.caller_cache import bearer_checksum, caller_lookup
from api.models import ApiClient
from api.selectors import api_client_for_application
from api.services import api_client_revoke
from tests.api.factories import admin_of, api_client_of, token_response
from tests.api.test_api import assert_problem, world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@contextmanager
def all_queries() -> Iterator[list[str]]:
    """Every query inside the block (a request's own start included)."""
    queries: list[str] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield queries


def _api(created):
    from django.test import Client

    response = token_response(created)
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    return Client(headers={"Authorization": f"Bearer {token}"}), token


def test_a_known_token_costs_no_query_for_the_token_or_its_client(
    world,  # noqa: F811
    settings,
):
    settings.PAGE_MEMO = False  # the page's rows read each time (not kept: portal.pagememo)
    api, _token = _api(api_client_of(admin_of(world["provider"])))
    assert api.get("/api/v1/customers/").status_code == 200  # reads them, records the caller

    with all_queries() as queries:
        response = api.get("/api/v1/customers/")

    assert response.status_code == 200
    assert [c["customer"]["legal_name"] for c in response.json()["results"]] == ["Apicust Retail"]
    assert not [sql for sql in queries if "oauth2_provider" in sql or '"api_apiclient"' in sql]
    # The page itself, and the call log's row (written by the call where the cache is no
    # Redis to push it to: api/call_log.py).
    assert len(queries) == 2 and '"api_apicall"' in queries[1]


def test_a_revoked_client_is_refused_by_the_next_call_though_its_caller_was_cached(world):  # noqa: F811
    admin = admin_of(world["provider"])
    created = api_client_of(admin)
    api, _token = _api(created)
    assert api.get("/api/v1/subscriptions/").status_code == 200
    assert api.get("/api/v1/subscriptions/").status_code == 200  # from the cache

    api_client_revoke(actor=admin.user, client=created.client)

    assert_problem(api.get("/api/v1/subscriptions/"), 401)


def test_an_answer_read_before_a_revocation_is_not_served_after_it(world):  # noqa: F811
    """A call that read the database before a revocation committed, and records its answer
    after it, leaves nothing the next call accepts."""
    admin = admin_of(world["provider"])
    created = api_client_of(admin)
    api, token = _api(created)
    lookup = caller_lookup(bearer_checksum({"HTTP_AUTHORIZATION": f"Bearer {token}"}) or "")
    assert lookup is not None and lookup.hit() is None and lookup.prepare_miss()
    stored = AccessToken.objects.get(application=created.client.application)
    client = api_client_for_application(created.client.application_id)  # read: still active
    assert client is not None

    api_client_revoke(actor=admin.user, client=created.client)
    lookup.remember(client, stored.expires, stored.scope)  # recorded after the revocation

    assert_problem(api.get("/api/v1/subscriptions/"), 401)


def test_a_client_past_its_own_expiry_is_refused_though_its_caller_was_cached(world):  # noqa: F811
    created = api_client_of(admin_of(world["provider"]), days=1)
    api, _token = _api(created)
    # A token that outlives its client (the client's expiry is the one that ends the call).
    AccessToken.objects.filter(application=created.client.application).update(
        expires=timezone.now() + timedelta(days=3)
    )
    assert api.get("/api/v1/subscriptions/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert_problem(api.get("/api/v1/subscriptions/"), 401)


def test_an_expired_token_is_refused_though_its_caller_was_cached(world):  # noqa: F811
    api, _token = _api(api_client_of(admin_of(world["provider"])))
    assert api.get("/api/v1/subscriptions/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        assert_problem(api.get("/api/v1/subscriptions/"), 401)


def test_the_clients_new_roles_decide_the_next_call(world):  # noqa: F811
    created = api_client_of(admin_of(world["provider"]), ["admin_agent", "billing_admin"])
    api, _token = _api(created)
    assert api.get("/api/v1/customers/").status_code == 200

    client = ApiClient.objects.get(pk=created.client.pk)
    client.roles = ["billing_admin"]
    client.save(update_fields=["roles"])

    assert_problem(api.get("/api/v1/customers/"), 403)
    assert api.get("/api/v1/subscriptions/").status_code == 200


def test_the_organizations_new_name_is_in_the_next_call(world):  # noqa: F811
    api, _token = _api(api_client_of(admin_of(world["provider"])))
    assert api.get("/api/v1/organization/").json()["legal_name"] == "Apiprov Distribution"

    provider = world["provider"]
    provider.legal_name = "Apiprov Renamed"
    provider.save(update_fields=["legal_name"])

    assert api.get("/api/v1/organization/").json()["legal_name"] == "Apiprov Renamed"


def test_the_last_use_is_still_written_once_a_minute(world):  # noqa: F811
    created = api_client_of(admin_of(world["provider"]))
    api, _token = _api(created)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        api.get("/api/v1/customers/")
        clock.shift(timedelta(minutes=2))
        with all_queries() as queries:
            assert api.get("/api/v1/customers/").status_code == 200
        assert [sql for sql in queries if sql.startswith('UPDATE "api_apiclient"')]
        created.client.refresh_from_db()
        assert created.client.last_used_at == start + timedelta(minutes=2)

        clock.shift(timedelta(seconds=5))
        with all_queries() as queries:
            assert api.get("/api/v1/customers/").status_code == 200
        assert not [sql for sql in queries if "api_apiclient" in sql]
