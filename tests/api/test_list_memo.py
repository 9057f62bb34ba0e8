"""The API's lists run SQL compiled once per organization and filters (portal/sqlmemo.py): every
page is the one the ORM would read, another tenant's list never comes out of one organization's
memo, and a repeated page compiles nothing on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import endpoints
from commerce.models import Subscription
from portal import sqlmemo
from tests.api.factories import admin_of, api_client_of, bearer
from tests.commerce.billing_factories import subscription
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
    reseller_org,
)

pytestmark = pytest.mark.django_db


def _provider_with(n: int, name: str, *, status: str = Subscription.Status.ACTIVE):
    provider = provider_org(legal_name=f"{name} Distribution")
    pair = ProviderRelationshipFactory(provider=provider, reseller=reseller_org())
    shared = CustomerRelationshipFactory(relationship=pair, customer=customer_org())
    start = timezone.now() - timedelta(days=1)
    # Two purchases at the same moment: the cursor's tie on the pk is walked too.
    moments = [start + timedelta(minutes=i // 2) for i in range(n)]
    subs = [subscription(shared, purchased_at=m, status=status) for m in moments]
    return provider, subs


def _walk(api, path: str) -> list[int]:
    ids, url = [], path
    while url:
        body = api.get(url).json()
        ids += [row["id"] for row in body["results"]]
        url = body["next"]
    return ids


def test_every_page_is_the_orms_and_each_tenant_gets_its_own(monkeypatch):
    monkeypatch.setattr(endpoints, "PAGE_SIZE", 2)
    first, first_subs = _provider_with(5, "Memoone")
    second, second_subs = _provider_with(3, "Memotwo")
    one = bearer(api_client_of(admin_of(first), ["admin_agent"]))
    two = bearer(api_client_of(admin_of(second), ["admin_agent"]))

    newest_first = sorted(first_subs, key=lambda s: (s.purchased_at, s.pk), reverse=True)
    for _ in range(2):  # compiled on the first walk, replayed on the second
        assert _walk(one, "/api/v1/subscriptions/") == [s.pk for s in newest_first]
    # The same shape for another provider: its own rows, never the first one's.
    assert set(_walk(two, "/api/v1/subscriptions/")) == {s.pk for s in second_subs}
    assert set(_walk(one, "/api/v1/subscriptions/")) == {s.pk for s in first_subs}
    for path in ("/api/v1/customers/", "/api/v1/indirect-resellers/"):
        assert _walk(one, path) and _walk(two, path)
        assert not set(_walk(one, path)) & set(_walk(two, path))


def test_a_filters_value_is_part_of_the_memo():
    provider, active = _provider_with(2, "Memofilter")
    shared = CustomerRelationshipFactory(
        relationship=ProviderRelationshipFactory(provider=provider, reseller=reseller_org()),
        customer=customer_org(),
    )
    cancelled = subscription(shared, status=Subscription.Status.CANCELLED)
    api = bearer(api_client_of(admin_of(provider), ["admin_agent"]))
    for _ in range(2):
        newest_first = sorted(active, key=lambda s: (s.purchased_at, s.pk), reverse=True)
        assert _walk(api, "/api/v1/subscriptions/?status=active") == [s.pk for s in newest_first]
        assert _walk(api, "/api/v1/subscriptions/?status=cancelled") == [cancelled.pk]


def test_a_repeated_page_compiles_nothing_on_postgresql():
    provider, _subs = _provider_with(3, "Memocompile")
    api = bearer(api_client_of(admin_of(provider), ["admin_agent"]))
    api.get("/api/v1/subscriptions/")
    spy = mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql)
    with spy as compiled, CaptureQueriesContext(connection) as queries:
        body = api.get("/api/v1/subscriptions/").json()
    assert len(body["results"]) == 3
    reads = [q for q in queries if "commerce_subscription" in q["sql"]]
    assert len(reads) == 1
    if connection.vendor == "postgresql":
        assert compiled.call_count == 0
    else:  # SQLite converts moments after the query: the ORM reads every page itself
        assert compiled.call_count >= 1


def test_a_queryset_it_cannot_replay_is_read_by_the_orm():
    """`.none()` has no SQL: the memo hands it back to the ORM (no query, no row)."""

    def build(_cursor):
        return Subscription.objects.none().values_list("pk", named=True)

    with CaptureQueriesContext(connection) as queries:
        assert sqlmemo.memo_rows(("none",), build, None) == []
        assert sqlmemo.memo_rows(("none",), build, None) == []
    assert len(queries) == 0
