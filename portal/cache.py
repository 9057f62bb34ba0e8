"""A Redis cache that keeps the web working while Redis is down.

The default cache holds allauth's rate limits and its TOTP replay guard, and our own limiters
(invitations, legacy account links, verification emails). With Django's Redis backend every one
of those raises ConnectionError when Redis is unreachable, and sign-in or password reset answer
500. This backend catches connection errors and timeouts, logs them, and serves the same call
from an in-process memory cache until Redis answers again.

Why a local fallback rather than "treat every limit as not hit": the limits keep working in each
web process (an attacker gets N processes x the limit for the length of the outage, not an
unlimited door), allauth's cache lock still works (its `add` would otherwise fail and it would
answer 429 to everyone, or succeed and lock nothing) and a TOTP code still cannot be replayed on
the same process. What degrades: counts are per process and start from zero, and are forgotten
when Redis comes back. A breaker skips Redis for `PORTAL_CACHE_RETRY_SECONDS` after a failure so
that requests do not each wait for a connection timeout; short socket timeouts bound the wait
when Redis hangs instead of refusing connections."""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient, RedisSerializer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)

# Per process, shared by the per-thread cache instances Django creates: when Redis is next tried.
_retry_at: dict[str, float] = {}
_state_lock = threading.Lock()

# Keys whose copy in Redis must not be served after an outage in which this process changed
# them elsewhere: a session (cached_db: signed out, or changed, while Redis was unreachable:
# the database has the truth) and the request context (portal/request_context.py: an
# invalidation that could not reach Redis). Recorded while Redis is unreachable, deleted from
# Redis before the first call it answers again; per process and best effort (a process that
# restarts during the outage forgets its list; the context's entries expire within minutes).
FORGET_ON_RECOVERY = ("django.contrib.sessions.cached_db", "portal:ctx:", "portal:page:")
FORGET_MAX_KEYS = 100_000
_WRITES = {"add", "set", "touch", "delete", "incr", "set_many", "delete_many"}
_forget: dict[str, set[str]] = {}


def count_use_with(cache: Any, key: str, timeout: int) -> int:
    """`ResilientRedisCache.count_use` on any cache: add at 0, then increment (two calls)."""
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


# What a reader of a list takes, keeping it in a list of its own until it calls it done (DEL):
# a reader that stops before it is done leaves its values there, and the next one takes those
# first. Atomic (a script), so a value is always in one of the two lists.
_CLAIM = """
local pending = redis.call('LRANGE', KEYS[2], 0, -1)
if #pending > 0 then return pending end
local values = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #values > 0 then
  redis.call('RPUSH', KEYS[2], unpack(values))
  redis.call('LTRIM', KEYS[1], #values, -1)
end
return values
"""


class PickleFirstSerializer(RedisSerializer):
    """Django's RedisSerializer (integers stored as they are, for `incr`; everything else
    pickled), reading a pickle without first trying it as an integer: `int()` of a pickle
    fails with an error whose message quotes the whole value, ~3 us a value of the three
    every signed-in request reads (issue 21). A pickle starts with the PROTO opcode (0x80),
    which no integer's digits do."""

    def loads(self, data: Any) -> Any:
        if data[:1] == b"\x80":
            return pickle.loads(data)  # noqa: S301 (our own cache, as Django's serializer)
        return super().loads(data)


class ClientPerPool(RedisCacheClient):
    """Django's Redis cache client, keeping one redis-py client per connection pool.

    Django builds a new `redis.Redis` for every cache call, and redis-py fills ~170 response
    callbacks in each one: two cache calls per request (session, request context) spent more
    CPU there than the rest of the middleware together (issue 21). A redis-py client is
    thread-safe and holds no connection itself (the pool does), so one per pool serves every
    call of the process.

    `get_many` (the read every signed-in request makes, portal/sessions.py) goes on a
    connection of the thread's own: redis-py's way through the pool (lock, liveness poll,
    retry wrapper, instrumentation) cost twice the command itself (~35 us of ~60). Any error
    closes that connection; a connection error is then retried the pool's way (a connection
    Redis closed, e.g. after a restart: the pool reconnects), a timeout is not (Redis hangs:
    one wait, not two)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._own = threading.local()

    def get_many(self, keys: Any) -> dict[Any, Any]:
        keys = list(keys)
        values = self._mget(keys)
        loads = self._serializer.loads  # type: ignore[attr-defined]
        return {k: loads(v) for k, v in zip(keys, values, strict=True) if v is not None}

    def _own_connection(self, write: bool) -> Any:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        connections: dict[int, Any] = self._own.__dict__.setdefault("connections", {})
        connection = connections.get(index)
        if connection is None or connection.pid != os.getpid():
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            connection = connections[index] = pool.connection_class(**pool.connection_kwargs)
        return connection

    def get_many_counting(
        self, keys: list[Any], counter: Any, timeout: int
    ) -> tuple[dict[Any, Any], int]:
        """`get_many(keys)` and one more use on the counter `counter` (INCR, then EXPIRE: as
        `ResilientRedisCache.count_use`) in one round trip, on the thread's own connection to
        the server that takes writes (the API's caller look-up and its rate limit, issue 24)."""
        commands = [("MGET", *keys), ("INCR", counter), ("EXPIRE", counter, timeout)]

        def pooled() -> list[Any]:
            pipeline = self.get_client(counter, write=True).pipeline(transaction=False)
            pipeline.mget(keys)
            pipeline.incr(counter)
            pipeline.expire(counter, timeout)
            return pipeline.execute()

        values, count, _expiring = self._on_own_connection(True, commands, pooled)
        loads = self._serializer.loads  # type: ignore[attr-defined]
        found = {k: loads(v) for k, v in zip(keys, values, strict=True) if v is not None}
        return found, int(count)

    def _on_own_connection(
        self, write: bool, commands: list[tuple[Any, ...]], pooled: Callable[[], list[Any]]
    ) -> list[Any]:
        """The answers of `commands`, sent together on the thread's own connection. Any error
        closes that connection; a connection error is then answered the pool's way by `pooled`
        (a connection Redis closed, e.g. after a restart: the pool reconnects), a timeout is
        not (Redis hangs: one wait, not two)."""
        connection = self._own_connection(write)
        try:
            connection.send_packed_command(connection.pack_commands(commands))
            return [connection.read_response() for _command in commands]
        except RedisTimeoutError:
            connection.disconnect()
            raise
        except Exception:
            connection.disconnect()
        return pooled()

    def _mget(self, keys: list[Any]) -> list[Any]:
        (values,) = self._on_own_connection(
            False, [("MGET", *keys)], lambda: [self.get_client(None).mget(keys)]
        )
        return values

    def push(self, key: Any, value: bytes) -> None:
        """RPUSH `value` on the list `key`: one command on the thread's own connection to the
        server that takes writes (errors as `_mget`; a push retried after a connection error
        may have landed twice: the list's reader must accept a repeat)."""
        self._on_own_connection(
            True,
            [("RPUSH", key, value)],
            lambda: [self.get_client(key, write=True).rpush(key, value)],
        )

    def claim(self, source: Any, processing: Any, count: int) -> list[bytes]:
        """`_CLAIM`: the values left in `processing`, else up to `count` values moved from the
        head of `source` to `processing`, in one atomic script."""
        client = self.get_client(source, write=True)
        return client.eval(_CLAIM, 2, source, processing, count)

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            client = self._clients.setdefault(index, client)
        return client


class ResilientRedisCache(RedisCache):
    """Django's RedisCache, falling back to a process-local memory cache while Redis is down.

    OPTIONS may set `retry_seconds` (default 5) besides redis-py's connection options; the
    socket timeouts default to 0.5 s."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = {**params}
        options = {**params.get("OPTIONS", {})}
        self.retry_seconds: float = float(options.pop("retry_seconds", 5))
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        options.setdefault("serializer", PickleFirstSerializer)
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._class = ClientPerPool
        self._location = server if isinstance(server, str) else ",".join(server)
        fallback_params = {
            key: value for key, value in params.items() if key in ("TIMEOUT", "KEY_PREFIX")
        }
        self.fallback = LocMemCache(f"portal-cache-fallback:{self._location}", fallback_params)

    def validate_key(self, key: str) -> None:
        """Nothing to check: Redis takes any key. Django's default warns about keys memcached
        would refuse, a check of every character of every key (~2 us a key; a signed-in request
        reads three, issue 21)."""

    def redis_available(self) -> bool:
        return time.monotonic() >= _retry_at.get(self._location, 0.0)

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.redis_available() and self._forget_recorded():
            method: Callable[..., Any] = getattr(super(), name)
            try:
                result = method(*args, **kwargs)
            except UNAVAILABLE as exc:
                self._mark_down(exc)
            else:
                self._mark_up()
                return result
        self._record_write(name, args)
        return getattr(self.fallback, name)(*args, **kwargs)

    def _record_write(self, name: str, args: tuple[Any, ...]) -> None:
        if name not in _WRITES or not args:
            return
        keys = [args[0]] if isinstance(args[0], str) else list(args[0])
        keys = [key for key in keys if key.startswith(FORGET_ON_RECOVERY)]
        if not keys:
            return
        with _state_lock:
            pending = _forget.setdefault(self._location, set())
            if len(pending) < FORGET_MAX_KEYS:
                pending.update(keys)

    def _forget_recorded(self) -> bool:
        """Before the first call Redis answers after an outage: delete the keys recorded while
        it was unreachable. False (Redis still unreachable) keeps them for the next try."""
        if not _forget.get(self._location):
            return True
        with _state_lock:
            keys = list(_forget.pop(self._location, ()))
        for start in range(0, len(keys), 1000):
            try:
                super().delete_many(keys[start : start + 1000])
            except UNAVAILABLE as exc:
                self._mark_down(exc)
                for key in keys[start:]:
                    self._record_write("delete", (key,))
                return False
        return True

    def shared_call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Redis only, never the in-process fallback: None while Redis is unreachable. For what
        other processes must see the same (portal/request_context.py), where a per-process
        copy would outlive an invalidation made elsewhere."""
        method: Callable[..., Any] = getattr(super(), name)
        answered, result = self._on_redis(lambda: method(*args, **kwargs))
        if not answered:
            self._record_write(name, args)
        return result

    def _on_redis(self, call: Callable[[], Any]) -> tuple[bool, Any]:
        """(True, `call()`) on Redis, never the in-process fallback; (False, None) while Redis
        is unreachable (a connection error or timeout marks it down)."""
        if not (self.redis_available() and self._forget_recorded()):
            return False, None
        try:
            result = call()
        except UNAVAILABLE as exc:
            self._mark_down(exc)
            return False, None
        self._mark_up()
        return True, result

    def _mark_down(self, exc: BaseException) -> None:
        with _state_lock:
            was_up = self._location not in _retry_at
            _retry_at[self._location] = time.monotonic() + self.retry_seconds
        if was_up:
            logger.error(
                "Cache %s unavailable (%s: %s); using an in-process cache until it answers; "
                "rate limits now count per process.",
                self._location,
                type(exc).__name__,
                exc,
            )

    def _mark_up(self) -> None:
        if self._location in _retry_at:
            with _state_lock:
                recovered = _retry_at.pop(self._location, None) is not None
            if recovered:
                logger.warning("Cache %s answers again.", self._location)

    def get_many_counting(
        self, keys: list[str], counter: str, timeout: int
    ) -> tuple[dict[str, Any], int] | None:
        """`shared_call("get_many", keys)` and one more use on the counter `counter` (as
        `count_use`) in one round trip; None while Redis is unreachable (nothing was counted)."""
        by_redis_key = {self.make_and_validate_key(key): key for key in keys}
        answered, result = self._on_redis(
            lambda: self._cache.get_many_counting(  # type: ignore[attr-defined]
                list(by_redis_key), self.make_and_validate_key(counter), timeout
            )
        )
        if not answered:
            return None
        found, count = result
        return {by_redis_key[k]: value for k, value in found.items()}, count

    def push(self, key: str, value: bytes) -> bool:
        """Append `value` to the Redis list `key` in one command (RPUSH). False while Redis is
        unreachable (a connection error marks it down, as `count_use`) or refuses the command:
        the value was not kept, and the caller must keep it elsewhere. Never in the in-process
        fallback: a list is for another process to read."""
        redis_key = self.make_and_validate_key(key)
        try:
            answered, _pushed = self._on_redis(
                lambda: self._cache.push(redis_key, value)  # type: ignore[attr-defined]
            )
        except RedisError:
            logger.exception("Cache %s refused a push on %s.", self._location, key)
            return False
        return answered

    def claim(self, key: str, processing: str, count: int) -> list[bytes] | None:
        """A reader's next values of the list `key` (`push`), kept in the list `processing`
        until it calls `shared_call("delete", processing)`: what an earlier reader left there,
        else up to `count` from the head of `key`. None while Redis is unreachable."""
        answered, values = self._on_redis(
            lambda: self._cache.claim(  # type: ignore[attr-defined]
                self.make_and_validate_key(key), self.make_and_validate_key(processing), count
            )
        )
        return list(values) if answered else None

    def count_use(self, key: str, timeout: int) -> int:
        """One more use on the counter `key` (a fixed window of `portal.ratelimit`): its new
        count, in one round trip (INCR, then EXPIRE: a counter never outlives `timeout` after
        its last use; the window is in the key, so a later use only keeps it longer). While
        Redis is unreachable, counted in the in-process fallback."""
        redis_key = self.make_and_validate_key(key)

        def incr() -> int:
            pipeline = self._cache.get_client(redis_key, write=True).pipeline(transaction=False)
            pipeline.incr(redis_key)
            pipeline.expire(redis_key, timeout)
            count, _expiring = pipeline.execute()
            return int(count)

        answered, count = self._on_redis(incr)
        return count if answered else count_use_with(self.fallback, key, timeout)

    def add(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("add", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete_many", *args, **kwargs)

    def clear(self) -> Any:
        return self._call("clear")
