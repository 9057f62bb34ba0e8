"""The API's lists run SQL compiled once per organization and filters (portal/sqlmemo.py): every
page is the one the ORM would read, another tenant's list never comes out of one organization's
memo, and a repeated page compiles nothing on PostgreSQL. With nothing it read changed since, a
page's rows are served again without a query (portal.pagememo.kept_value): these tests of the SQL
turn that off, the last ones look at it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import endpoints
from api.serializers import SubscriptionSerializer
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


@pytest.fixture
def rows_not_kept(settings):
    """The SQL memo alone: every call reads its page."""
    settings.PAGE_MEMO = False


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


def test_a_repeated_page_compiles_nothing_on_postgresql(rows_not_kept):
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


def test_moments_read_as_iso_text_are_the_serializers_to_the_microsecond(monkeypatch):
    """On PostgreSQL a list's moments come as the API's ISO text straight from the database
    (`sqlmemo._run(iso_moments=True)`): whole seconds, fractions with trailing zeros, a
    microsecond, an early year and an ended subscription read exactly as the serializer writes
    each, and the links still walk every row once. (SQLite: the same answers, read as
    datetimes.)"""
    monkeypatch.setattr(endpoints, "PAGE_SIZE", 2)
    provider, subs = _provider_with(5, "Memoiso")
    odd = [
        datetime(2026, 11, 3, 9, 30, tzinfo=UTC),  # whole seconds: no fraction at all
        datetime(2026, 11, 3, 9, 30, 1, 120000, tzinfo=UTC),  # PostgreSQL writes ".12"
        datetime(2026, 11, 3, 9, 30, 2, 1, tzinfo=UTC),  # ".000001"
        datetime(999, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),  # a year of three digits
        datetime(2026, 11, 3, 9, 30, 2, 1, tzinfo=UTC),  # a tie on the moment: the pk breaks it
    ]
    for sub, moment in zip(subs, odd, strict=True):
        sub.purchased_at = sub.term_start = moment
        sub.ended_at = moment + timedelta(days=3, microseconds=10)
        sub.save(update_fields=["purchased_at", "term_start", "ended_at"])
    api = bearer(api_client_of(admin_of(provider), ["admin_agent"]))
    expected = {
        s.pk: SubscriptionSerializer(s, context={"organization": provider}).data
        for s in Subscription.objects.filter(pk__in=[s.pk for s in subs])
    }
    for _ in range(2):  # compiled on the first walk, replayed on the second
        rows, url = [], "/api/v1/subscriptions/"
        while url:
            body = api.get(url).json()
            rows += body["results"]
            url = body["next"]
        assert [row["id"] for row in rows] == [
            s.pk for s in sorted(subs, key=lambda s: (s.purchased_at, s.pk), reverse=True)
        ]
        for row in rows:
            assert row == expected[row["id"]]
    assert expected[subs[0].pk]["purchased_at"] == "2026-11-03T09:30:00Z"
    assert expected[subs[1].pk]["purchased_at"] == "2026-11-03T09:30:01.120000Z"
    assert expected[subs[3].pk]["purchased_at"] == "0999-01-02T03:04:05.600000Z"


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("2026-11-03 09:30:00+00", "2026-11-03T09:30:00Z"),
        ("2026-11-03 09:30:00.12+00", "2026-11-03T09:30:00.120000Z"),
        ("2026-11-03 09:30:00.000001+00", "2026-11-03T09:30:00.000001Z"),
        ("2026-11-03 09:30:00.999999+00", "2026-11-03T09:30:00.999999Z"),
        ("0999-01-02 03:04:05.6+00", "0999-01-02T03:04:05.600000Z"),
    ],
)
def test_the_iso_moment_loader_writes_what_isoformat_writes(text, written):
    loader = sqlmemo._iso_moment_loader(_Usual)(0)
    assert loader.load(text.encode()) == written
    moment = datetime.fromisoformat(written)
    assert moment.isoformat().replace("+00:00", "Z") == written


@pytest.mark.parametrize(
    "text", ["infinity", "-infinity", "2026-11-03 09:30:00+01", "0044-03-15 12:00:00+00 BC"]
)
def test_text_that_is_no_utc_moment_is_left_to_the_connections_loader(text):
    assert sqlmemo._iso_moment_loader(_Usual)(0).load(text.encode()) == ("usual", text)


class _Usual:
    """A stand-in for the connection's own timestamptz loader: says what it was given."""

    def __init__(self, oid, context=None):
        pass

    def load(self, data):
        return ("usual", bytes(data).decode())


def _kept(api, path: str) -> dict:
    """Ask until the page's rows come without a query: a process's first calls learn the
    tables the list reads (portal.pagememo.kept_value), then its rows are kept."""
    for _ask in range(5):
        with CaptureQueriesContext(connection) as queries:
            body = api.get(path).json()
        if not [q for q in queries if "commerce_subscription" in q["sql"]]:
            return body
    raise AssertionError(f"{path}'s rows were never served again")


def test_a_page_asked_for_again_reads_nothing_and_a_change_shows_on_the_next_call():
    provider, subs = _provider_with(3, "Memokept")
    api = bearer(api_client_of(admin_of(provider), ["admin_agent"]))
    first = api.get("/api/v1/subscriptions/").json()
    assert _kept(api, "/api/v1/subscriptions/") == first

    subs[0].quantity = 41
    subs[0].save(update_fields=["quantity"])
    changed = api.get("/api/v1/subscriptions/").json()["results"]
    assert {row["id"]: row["quantity"] for row in changed}[subs[0].pk] == 41

    subs[0].customer.legal_name = "Memokept Renamed"
    subs[0].customer.save(update_fields=["legal_name"])
    renamed = api.get("/api/v1/subscriptions/").json()["results"]
    assert {row["customer"]["legal_name"] for row in renamed} == {"Memokept Renamed"}

    added = subscription(
        CustomerRelationshipFactory(
            relationship=ProviderRelationshipFactory(provider=provider, reseller=reseller_org()),
            customer=customer_org(),
        )
    )
    ids = [row["id"] for row in api.get("/api/v1/subscriptions/").json()["results"]]
    assert ids[0] == added.pk and len(ids) == 4


def test_kept_rows_are_each_organizations_and_each_filters_own():
    first, first_subs = _provider_with(2, "Memokeptone")
    second, second_subs = _provider_with(3, "Memokepttwo", status=Subscription.Status.CANCELLED)
    one = bearer(api_client_of(admin_of(first), ["admin_agent"]))
    two = bearer(api_client_of(admin_of(second), ["admin_agent"]))
    for api, subs in ((one, first_subs), (two, second_subs)):
        body = _kept(api, "/api/v1/subscriptions/")
        assert sorted(row["id"] for row in body["results"]) == sorted(s.pk for s in subs)
    assert _kept(one, "/api/v1/subscriptions/?status=cancelled")["results"] == []
    cancelled = _kept(two, "/api/v1/subscriptions/?status=cancelled")["results"]
    assert sorted(row["id"] for row in cancelled) == sorted(s.pk for s in second_subs)
