"""On Redis, a known token's call reads its caller and counts its rate-limit use in ONE round
trip (api/authentication.py, `portal.cache.ClientPerPool.get_many_counting`), and the limit still
answers 429 at the same count as before."""

from __future__ import annotations

import pytest
import redis

from tests.api.factories import admin_of, api_client_of, bearer
from tests.api.test_api import assert_problem, world  # noqa: F401  (the fixture)
from tests.portal.test_cache_outage import private_redis  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def test_a_known_tokens_call_is_one_round_trip_and_the_limit_holds(
    world,  # noqa: F811
    private_redis,  # noqa: F811
    settings,
    monkeypatch,
):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "api_client": "4/m"}
    # The limit's own trips: the list's rows read each time, not kept (portal.pagememo).
    settings.PAGE_MEMO = False
    api = bearer(api_client_of(admin_of(world["provider"])))
    trips: list[int] = []
    send = redis.connection.AbstractConnection.send_packed_command

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        trips.append(1)
        return send(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    statuses = []
    for _ in range(4):
        trips.clear()
        statuses.append(api.get("/api/v1/subscriptions/").status_code)
    assert statuses == [200] * 4
    # The caller, its token and the limit's count: one round trip; then the call log's push.
    assert len(trips) == 2

    limited = api.get("/api/v1/subscriptions/")
    assert_problem(limited, 429)
    assert 1 <= int(limited["Retry-After"]) <= 60
    server = redis.Redis(port=private_redis["port"])
    (counter,) = server.keys("*portal:rl:api_client:*")
    assert int(server.get(counter)) == 5 and 0 < server.ttl(counter) <= 61

    # Redis restarted: the thread's connection is gone, the call reconnects and counts afresh.
    private_redis["stop"]()
    private_redis["start"]()
    for _ in range(2):
        assert api.get("/api/v1/subscriptions/").status_code == 200
    (counter,) = server.keys("*portal:rl:api_client:*")
    assert int(server.get(counter)) == 2
