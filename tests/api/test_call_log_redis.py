"""The API call log on a real Redis (a private redis-server): a call costs one RPUSH and no
database write, the drain turns the list into rows (once each, even when a batch is taken
twice), and with Redis down a call still answers and writes its row itself."""

from __future__ import annotations

import pytest
import redis
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import call_log
from api.models import ApiCall
from api.tasks import api_calls_drain
from tests.api.factories import admin_of, api_client_of, bearer
from tests.api.test_api import assert_problem, world  # noqa: F401  (the fixture)
from tests.portal.test_cache_outage import private_redis  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def _round_trips(monkeypatch) -> list[bytes]:
    """What each round trip to Redis sends from now on (its packed commands)."""
    trips: list[bytes] = []
    send = redis.connection.AbstractConnection.send_packed_command

    def spy(self, command, *args, **kwargs):  # type: ignore[no-untyped-def]
        parts = command if isinstance(command, list) else [command]
        trips.append(b"".join(bytes(part) for part in parts))
        return send(self, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", spy)
    return trips


def _waiting(port: int) -> list[bytes]:
    server = redis.Redis(port=port)
    keys = server.keys("*api:calls")
    return server.lrange(keys[0], 0, -1) if keys else []


def test_a_call_pushes_once_and_the_drain_writes_its_row(
    world,  # noqa: F811
    private_redis,  # noqa: F811
    settings,
    monkeypatch,
):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "api_client": "4/m"}
    created = api_client_of(admin_of(world["provider"]))
    api = bearer(created)
    api.get("/api/v1/subscriptions/")  # the first call reads the token, records the last use
    api.get("/api/v1/subscriptions/")  # the page's rows kept (portal.pagememo.kept_value)
    trips = _round_trips(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/subscriptions/")
    assert response.status_code == 200
    assert not [q for q in queries if "api_apicall" in q["sql"]]  # no write in the call
    # The caller's look-up with its rate-limit count, the kept rows with the tokens of the
    # tables they read, then the call's one RPUSH.
    assert len(trips) == 3 and b"MGET" in trips[0] and b"MGET" in trips[1]
    assert trips[2].startswith(b"*3\r\n$5\r\nRPUSH\r\n")
    assert_problem(api.get("/api/v1/subscriptions/0/"), 404)
    assert_problem(api.get("/api/v1/subscriptions/"), 429)
    assert len(_waiting(private_redis["port"])) == 5 and not ApiCall.objects.exists()

    api_calls_drain.delay()
    calls = ApiCall.objects.order_by("created_at", "pk")
    assert [(c.client, c.organization, c.path, c.status) for c in calls] == [
        (created.client, world["provider"], "/api/v1/subscriptions/", 200),
        (created.client, world["provider"], "/api/v1/subscriptions/", 200),
        (created.client, world["provider"], "/api/v1/subscriptions/", 200),
        (created.client, world["provider"], "/api/v1/subscriptions/0/", 404),
        (created.client, world["provider"], "/api/v1/subscriptions/", 429),
    ]
    assert calls[2].request_id == response["X-Request-ID"]
    assert _waiting(private_redis["port"]) == []


def test_a_batch_taken_again_is_written_once(
    world,  # noqa: F811
    private_redis,  # noqa: F811
):
    api = bearer(api_client_of(admin_of(world["provider"])))
    for _ in range(3):
        assert api.get("/api/v1/organization/").status_code == 200
    backend = caches["default"]
    server = redis.Redis(port=private_redis["port"])
    (key,) = server.keys("*api:calls")
    server.rpush(key, server.lindex(key, 0))  # the same record twice (a push retried)
    # A drain that took its batch and stopped before its insert (a worker killed) ...
    taken = backend.claim(call_log._CALLS, call_log._PROCESSING, 2)
    assert len(taken) == 2
    # ... leaves it for the next, which writes it first, then the rest: each call once.
    assert call_log.api_calls_drain(batch=2) == 4
    assert ApiCall.objects.count() == 3
    assert _waiting(private_redis["port"]) == [] and server.keys("*api:calls:processing") == []
    assert call_log.api_calls_drain() == 0


def test_with_redis_down_a_call_answers_and_writes_its_row(
    world,  # noqa: F811
    private_redis,  # noqa: F811
):
    created = api_client_of(admin_of(world["provider"]))
    api = bearer(created)
    assert api.get("/api/v1/subscriptions/").status_code == 200
    private_redis["stop"]()
    response = api.get("/api/v1/subscriptions/")
    assert response.status_code == 200
    call = ApiCall.objects.get()  # written by the call itself
    assert (call.client, call.status, call.request_id) == (
        created.client,
        200,
        response["X-Request-ID"],
    )
    assert api_calls_drain.delay().get() == 0  # Redis still down: nothing to drain, no error
    private_redis["start"]()  # the first call's record went with the server (no persistence)
    assert api.get("/api/v1/subscriptions/").status_code == 200
    api_calls_drain.delay()
    assert ApiCall.objects.count() == 2
