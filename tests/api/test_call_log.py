"""The API call log (api/call_log.py): every call of an authenticated client, whatever its answer,
on its client's Calls page (Settings → API clients), for its organization's Global admins only.

These run on the tests' in-process cache, where a call writes its row itself (as on the SQLite
demo); tests/api/test_call_log_redis.py runs the same through Redis and the drain."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.call_log import api_calls_insert, api_calls_sweep
from api.models import ApiCall
from api.tasks import api_calls_drain
from tests.api.factories import admin_of, api_client_of, bearer
from tests.api.test_api import assert_problem, world  # noqa: F401  (the fixture)
from tests.delegation.gdap_factories import gdap_setup
from tests.factories import member
from tests.relationships.factories import provider_org

pytestmark = pytest.mark.django_db


def calls_page(pk: int) -> str:
    return f"/settings/api-clients/{pk}/calls/"


def test_a_read_is_logged_with_the_client_and_its_answer(world):  # noqa: F811
    created = api_client_of(admin_of(world["provider"]), name="Nightly sync")
    api = bearer(created)
    response = api.get("/api/v1/subscriptions/?status=active", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    api_calls_drain.delay()  # nothing waits in Redis here: the call wrote its row
    call = ApiCall.objects.get()
    assert call.client == created.client and call.client_label == created.client.label
    assert call.organization == world["provider"] and call.acting_for is None
    assert (call.method, call.path, call.status) == ("GET", "/api/v1/subscriptions/", 200)
    assert call.request_id == response["X-Request-ID"]
    assert call.ip_address == "203.0.113.9"
    assert 0 < call.duration_ms < 10_000
    assert abs(call.created_at - timezone.now()) < timedelta(minutes=1)


def test_refused_calls_of_a_client_are_logged_too(world, settings):  # noqa: F811
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "api_client": "2/m"}
    api = bearer(api_client_of(admin_of(world["provider"])))
    assert_problem(api.get("/api/v1/subscriptions/0/"), 404)
    assert api.get("/api/v1/organization/").status_code == 200
    assert_problem(api.get("/api/v1/organization/"), 429)
    # No valid token: no client to log it under.
    assert api.get("/api/v1/organization/", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    logged = ApiCall.objects.order_by("created_at", "pk")
    assert [(c.path, c.status) for c in logged] == [
        ("/api/v1/subscriptions/0/", 404),
        ("/api/v1/organization/", 200),
        ("/api/v1/organization/", 429),
    ]


def test_a_call_for_a_customer_names_the_customer():
    gdap = gdap_setup()
    gdap.approved(["billing_reader"])
    api = bearer(api_client_of(admin_of(gdap.provider), ["admin_agent"]))
    header = {"Act-As-Customer": str(gdap.customer.pk)}
    assert api.get("/api/v1/subscriptions/", headers=header).status_code == 200
    call = ApiCall.objects.get()
    assert call.organization == gdap.provider and call.acting_for == gdap.customer


def test_the_clients_page_links_each_clients_calls(world, client_for):  # noqa: F811
    admin = admin_of(world["provider"])
    created = api_client_of(admin, name="Nightly sync")
    api = bearer(created)
    api.get("/api/v1/subscriptions/")
    assert_problem(api.get("/api/v1/subscriptions/0/"), 404)
    browser = client_for(admin)
    assert f'href="{calls_page(created.client.pk)}"' in browser.get("/settings/api-clients/").text
    page = browser.get(calls_page(created.client.pk)).text
    assert "Calls of Nightly sync" in page
    assert page.index("/api/v1/subscriptions/0/") < page.index("/api/v1/subscriptions/<")
    assert ">404<" in page and ">200<" in page
    for call in ApiCall.objects.all():
        assert call.request_id in page


def _calls(created, count: int, start: int = 0) -> None:
    now = timezone.now()
    ApiCall.objects.bulk_create(
        ApiCall(
            call_id=uuid.uuid4(),
            client=created.client,
            client_label=created.client.label,
            organization=created.client.organization,
            method="GET",
            path=f"/api/v1/subscriptions/{n}/",
            status=200,
            duration_ms=1.5,
            request_id=f"req-{n}",
            created_at=now - timedelta(seconds=n),
        )
        for n in range(start, start + count)
    )


def test_the_calls_page_is_paged_newest_first(world, client_for):  # noqa: F811
    admin = admin_of(world["provider"])
    created = api_client_of(admin)
    _calls(created, 55)
    browser = client_for(admin)
    first = browser.get(calls_page(created.client.pk)).text
    assert "req-0<" in first and "req-49<" in first and "req-50<" not in first
    older = first.split('href="?after=', 1)[1].split('"', 1)[0]
    second = browser.get(f"{calls_page(created.client.pk)}?after={older}").text
    assert "req-50<" in second and "req-54<" in second and "req-49<" not in second


def test_the_calls_page_costs_the_same_queries_with_1_and_3_calls(client_for):
    admin = member(provider_org())
    created = api_client_of(admin)
    browser = client_for(admin)
    counts = []
    for count in (1, 2):
        _calls(created, count, start=len(counts) * 10)
        browser.get(calls_page(created.client.pk))  # warm: the session and context caches
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(calls_page(created.client.pk)).status_code == 200
        counts.append(len(queries))
    assert ApiCall.objects.count() == 3
    assert counts[0] == counts[1], counts


def test_another_tenant_cannot_see_a_clients_calls(client_for):
    theirs = api_client_of(member(provider_org()))
    bearer(theirs).get("/api/v1/organization/")
    assert ApiCall.objects.count() == 1
    other = client_for(member(provider_org()))
    assert other.get(calls_page(theirs.client.pk)).status_code == 404
    # In the organization, only a Global admin (the clients page's own rule).
    agent = client_for(member(theirs.client.organization, admin_agent=True))
    assert agent.get(calls_page(theirs.client.pk)).status_code == 403


def test_the_calls_page_in_italian(client_for):
    admin = member(provider_org())
    admin.user.language = "it"
    admin.user.save(update_fields=["language"])
    created = api_client_of(admin, name="Sync")
    page = client_for(admin).get(calls_page(created.client.pk)).text
    assert "Chiamate di Sync" in page and "Nessuna chiamata" in page


def _record(client, organization, **fields) -> bytes:
    values = {
        "call_id": uuid.uuid4().hex,
        "started": timezone.now().timestamp(),
        **fields,
    }
    return json.dumps(
        [
            values["call_id"],
            client.pk,
            client.label,
            organization.pk,
            None,
            "GET",
            "/api/v1/organization/",
            200,
            2.5,
            "req",
            "127.0.0.1",
            values["started"],
        ]
    ).encode()


def test_a_record_inserted_twice_is_one_row_and_a_bad_one_is_skipped():
    created = api_client_of(member(provider_org()))
    record = _record(created.client, created.client.organization)
    assert api_calls_insert([record, record, b"not json", b"[1, 2]"]) == 2
    assert api_calls_insert([record]) == 1
    assert ApiCall.objects.count() == 1


def test_a_call_of_a_client_deleted_since_keeps_its_label():
    created = api_client_of(member(provider_org()))
    client, organization = created.client, created.client.organization
    record = _record(client, organization)
    label = client.label
    client.application.delete()  # the client with it
    api_calls_insert([record])
    call = ApiCall.objects.get()
    assert call.client is None and call.client_label == label


def test_calls_past_their_retention_are_swept(settings):
    settings.API_CALL_RETENTION_DAYS = 90
    created = api_client_of(member(provider_org()))
    now = timezone.now()
    old = _record(
        created.client, created.client.organization, started=(now - timedelta(days=91)).timestamp()
    )
    recent = _record(
        created.client, created.client.organization, started=(now - timedelta(days=89)).timestamp()
    )
    api_calls_insert([old, recent])
    assert api_calls_sweep() == 1
    assert ApiCall.objects.get().created_at > now - timedelta(days=90)


def test_beat_drains_every_ten_seconds_and_sweeps_daily(settings):
    from celery import current_app

    drain = settings.CELERY_BEAT_SCHEDULE["api-calls-drain"]
    assert drain["schedule"] == timedelta(seconds=10)
    sweep = settings.CELERY_BEAT_SCHEDULE["api-calls-sweep"]
    for entry in (drain, sweep):
        assert entry["task"] in current_app.tasks
