"""Sign-in and password reset keep working while the cache (Redis) is down, and the rate limits
keep counting (per process) instead of failing open or answering 500."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie

import pytest
import redis
from django.core import mail
from django.test import Client

from portal import cache as portal_cache
from tests.factories import PASSWORD
from tests.figures import report
from tests.tools import need

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _use_redis_cache(settings, port: int) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"retry_seconds": 0},  # try Redis again on every call: no waiting in tests
        }
    }


@pytest.fixture(autouse=True)
def _fresh_breaker() -> Iterator[None]:
    portal_cache._retry_at.clear()
    portal_cache._forget.clear()
    yield
    portal_cache._retry_at.clear()
    portal_cache._forget.clear()


@pytest.fixture
def closed_port_cache(settings) -> Iterator[int]:
    """A real Redis cache whose server is not there (nothing listens on the port)."""
    port = _free_port()
    _use_redis_cache(settings, port)
    yield port


@pytest.fixture
def private_redis(settings, tmp_path) -> Iterator[dict]:
    """A redis-server of our own on a free port, which a test may stop and start again."""
    need("redis-server", shutil.which("redis-server") is not None, "apt-get install redis-server")
    port = _free_port()
    command = [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--dir", str(tmp_path),
    ]  # fmt: skip
    server: dict = {"port": port}

    def start() -> None:
        server["process"] = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=port).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop() -> None:
        server["process"].terminate()
        server["process"].wait(timeout=10)

    server["start"], server["stop"] = start, stop
    start()
    _use_redis_cache(settings, port)
    yield server
    if server["process"].poll() is None:
        stop()


def test_sign_in_works_while_the_cache_is_down(client, closed_port_cache, reseller_admin):
    started = time.monotonic()
    response = client.post(
        "/accounts/login/", {"login": reseller_admin.user.email, "password": PASSWORD}
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    report("cache outage", f"sign-in with Redis refusing connections: 302 in {elapsed:.2f} s")
    assert client.get("/dashboard/").status_code == 200


def test_failed_sign_ins_are_still_limited_while_the_cache_is_down(
    client, closed_port_cache, reseller_admin
):
    email = reseller_admin.user.email
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": email, "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert "too many failed login attempts" in response.text.lower()


def test_password_reset_works_while_the_cache_is_down(
    client, closed_port_cache, reseller_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": reseller_admin.user.email})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert any(reseller_admin.user.email in message.to for message in mail.outbox)


def test_cache_outage_is_logged_once_not_per_request(
    client, closed_port_cache, reseller_admin, caplog
):
    for _ in range(3):
        client.post("/accounts/login/", {"login": reseller_admin.user.email, "password": "x"})
    # Saving the member (the fixture) already asked the cache to forget its request context.
    records = caplog.get_records("setup") + caplog.records
    outages = [r for r in records if "unavailable" in r.getMessage()]
    assert len(outages) == 1 and outages[0].levelname == "ERROR"


def test_sign_in_survives_a_redis_server_stopped_and_started_again(
    client, private_redis, reseller_admin
):
    port = private_redis["port"]
    email = reseller_admin.user.email
    client.post("/accounts/login/", {"login": email, "password": "wrong"})
    assert redis.Redis(port=port).keys("*allauth*"), "the limit was counted in Redis"

    private_redis["stop"]()
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    client.post("/accounts/logout/")

    private_redis["start"]()
    client.post("/accounts/login/", {"login": email, "password": "wrong"})
    assert redis.Redis(port=port).keys("*allauth*"), "back on Redis once it answers"
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_hung_redis_costs_one_short_timeout_not_one_per_call(
    client, private_redis, reseller_admin, settings
):
    """A Redis that accepts connections but never answers (SIGSTOP): the socket timeout
    (0.5 s) is paid once, then the breaker serves from memory for `retry_seconds`."""
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{private_redis['port']}/0",
            "OPTIONS": {"retry_seconds": 30},
        }
    }
    private_redis["process"].send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        response = client.post(
            "/accounts/login/", {"login": reseller_admin.user.email, "password": PASSWORD}
        )
        elapsed = time.monotonic() - started
    finally:
        private_redis["process"].send_signal(signal.SIGCONT)
    assert response.status_code == 302
    assert elapsed < 3, f"sign-in took {elapsed:.1f} s"
    report("cache outage", f"sign-in with Redis hung (SIGSTOP): 302 in {elapsed:.2f} s")


def test_a_session_signed_out_while_redis_hung_stays_signed_out_once_it_answers(
    client, private_redis, reseller_admin
):
    """Sessions are read from Redis (cached_db): one signed out while Redis could not hear it
    (hung, its data intact) must not come back from Redis's old copy once it answers."""
    assert client.login(email=reseller_admin.user.email, password=PASSWORD)
    assert client.get("/dashboard/").status_code == 200
    stolen = Client()
    stolen.cookies = SimpleCookie({k: v.value for k, v in client.cookies.items()})
    private_redis["process"].send_signal(signal.SIGSTOP)
    try:
        client.post("/accounts/logout/")
    finally:
        private_redis["process"].send_signal(signal.SIGCONT)

    response = stolen.get("/dashboard/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_rate_limit_counts_in_redis_in_one_round_trip_and_in_memory_while_it_is_down(
    private_redis, settings
):
    """`portal.ratelimit` counts on Redis with one pipeline (INCR, EXPIRE: the window's key
    never outlives its period), still refuses past the limit, and counts in memory while Redis
    is down instead of failing."""
    from portal.ratelimit import RateLimited, rate_limit_consume

    settings.PORTAL_RATE_LIMITS = {"api_client": "3/m"}
    server = redis.Redis(port=private_redis["port"])
    calls: list[str] = []
    execute = redis.Redis.execute_command
    pipeline_execute = redis.client.Pipeline.execute

    def count(self, *args, **options):  # type: ignore[no-untyped-def]
        calls.append(str(args[0]))
        return execute(self, *args, **options)

    def count_pipeline(self, *args, **options):  # type: ignore[no-untyped-def]
        calls.append("pipeline")
        return pipeline_execute(self, *args, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(redis.Redis, "execute_command", count)
        patch.setattr(redis.client.Pipeline, "execute", count_pipeline)
        for _ in range(3):
            rate_limit_consume(action="api_client", key="7")
    assert calls == ["pipeline"] * 3  # one round trip a use
    (key,) = server.keys("*portal:rl:api_client:7:*")
    assert int(server.get(key)) == 3 and 0 < server.ttl(key) <= 61
    with pytest.raises(RateLimited):
        rate_limit_consume(action="api_client", key="7")

    private_redis["stop"]()
    for _ in range(3):
        rate_limit_consume(action="api_client", key="8")  # counted in this process's memory
    with pytest.raises(RateLimited):
        rate_limit_consume(action="api_client", key="8")


def test_a_signed_in_member_carries_on_across_a_redis_restart(
    client, private_redis, reseller_admin, settings, caplog
):
    """The session and request context are read on a connection the thread keeps (portal.cache
    `ClientPerPool.get_many`): after Redis restarts, the first request finds that connection
    closed and still answers, signed in, as does the one after it."""
    settings.SESSION_ENGINE = "portal.sessions"
    settings.PORTAL_CONTEXT_CACHE = True
    assert client.login(email=reseller_admin.user.email, password=PASSWORD)
    for _ in range(3):  # the last ones read session and context in one MGET
        assert client.get("/dashboard/").status_code == 200

    # The sessions are written through to the database (cached_db): a restart that lost
    # Redis's data signs nobody out.
    private_redis["stop"]()
    private_redis["start"]()

    for _ in range(2):
        response = client.get("/dashboard/")
        assert response.status_code == 200
        assert response.wsgi_request.organization == reseller_admin.organization
    # Redis answered every time: nothing was served from the in-process fallback.
    assert not [r for r in caplog.records if r.name == "portal.cache"], caplog.text
