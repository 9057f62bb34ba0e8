"""/readyz: can this stack do its work? Six checks, each answered ok or failed with a short
reason, run at once in threads with a deadline, so one probe takes at most `DEADLINE` seconds
whatever hangs:

- database: `SELECT 1` on a fresh connection;
- cache: a set/get round trip on Redis itself, never on the in-process fallback that
  `portal.cache.ResilientRedisCache` serves while Redis is down (the site keeps working then,
  but rate limits count per process: an operator must know);
- broker: a connection to Celery's broker and the depth of the portal's queue
  (`operations.queue_depth`, 2 s connect timeout);
- worker, beat: their heartbeat (`operations.heartbeats`) younger than `HEARTBEAT_STALE`;
- outbox: no email has waited for a worker (due and not picked up, or claimed and not
  finished) longer than `PORTAL_READY_MAX_OUTBOX_AGE_SECONDS`; one waiting for its next retry
  after a recipient's server said "try again later" does not count.

The reasons name a kind of failure ("unreachable (OperationalError)", "last heartbeat 75 s
ago"), never a host name, URL or password: the answer is served without sign-in.

A freshly started stack answers 503 for up to one heartbeat interval (15 s by default): the
worker's first heartbeat task and beat's first tick have not run yet.

Why not django-health-check: it serves its checks from a URL view (behind host validation, the
HTTPS redirect and sessions, which a probe must skip); its cache check goes through Django's
cache API, which our resilient cache answers from memory while Redis is down, so it would say
ok; its database check writes rows to a table of its own (a migration, a write per probe); its
Celery checks send a task or a ping and wait for a worker, where the heartbeat rows already
say when the worker last took a task. Four of the six checks would have been our own plugins
and the other two would have needed rewriting: the library would add an app, a migration and
a dependency for a thread pool and a JSON answer."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpResponse
from django.utils import timezone

from . import operations

logger = logging.getLogger(__name__)

# The whole probe answers within this many seconds (compose probes with a 5 s timeout; the
# broker check alone may take ~2 s to give up on an unreachable Redis).
DEADLINE = 4.0


class CheckFailed(Exception):
    """A check's failure, with a reason fit to show without sign-in."""


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    reason: str = ""


def _unreachable(exc: BaseException) -> CheckFailed:
    return CheckFailed(f"unreachable ({type(exc).__name__})")


# --- the checks: each returns None when fine, raises CheckFailed otherwise ---------------------


def check_database() -> None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        raise _unreachable(exc) from exc


_CACHE_KEY = f"ops:readyz:{uuid.uuid4().hex}"


def check_cache() -> None:
    """A round trip on the shared cache. `shared_call` (portal/cache.py) talks to Redis only and
    answers None while Redis is unreachable, where `cache.get` would answer from memory."""
    token = uuid.uuid4().hex
    call: Callable[..., object] = getattr(cache, "shared_call", None) or (
        lambda name, *args: getattr(cache, name)(*args)
    )
    try:
        call("set", _CACHE_KEY, token, 30)
        answered = call("get", _CACHE_KEY)
    except Exception as exc:
        raise _unreachable(exc) from exc
    if answered != token:
        raise CheckFailed("unreachable (no answer from the cache server)")


def check_broker() -> None:
    try:
        operations.queue_depth()
    except Exception as exc:
        raise _unreachable(exc) from exc


def _check_heartbeat(name: str) -> None:
    try:
        seen = operations.heartbeats()
    except Exception as exc:
        raise _unreachable(exc) from exc
    age = operations.heartbeat_age(seen, name, timezone.now())
    stale = operations.HEARTBEAT_STALE.total_seconds()
    if age is None:
        raise CheckFailed("no heartbeat yet")
    if age > stale:
        raise CheckFailed(f"last heartbeat {age:.0f} s ago (limit {stale:.0f} s)")


def check_worker() -> None:
    _check_heartbeat(operations.WORKER)


def check_beat() -> None:
    _check_heartbeat(operations.BEAT)


def check_outbox() -> None:
    try:
        backlog = operations.outbox_backlog()
    except Exception as exc:
        raise _unreachable(exc) from exc
    limit = settings.PORTAL_READY_MAX_OUTBOX_AGE_SECONDS
    if backlog.overdue_seconds > limit:
        waited = backlog.overdue_seconds
        raise CheckFailed(f"an email has waited {waited:.0f} s for a worker (limit {limit:.0f} s)")


# The database checks share one thread (and so one connection, closed after each probe); the
# cache and the broker each have one.
GROUPS: dict[str, list[tuple[str, Callable[[], None]]]] = {
    "database": [
        ("database", check_database),
        ("worker", check_worker),
        ("beat", check_beat),
        ("outbox", check_outbox),
    ],
    "cache": [("cache", check_cache)],
    "broker": [("broker", check_broker)],
}
CHECKS = [name for group in GROUPS.values() for name, _check in group]


def _run_group(checks: list[tuple[str, Callable[[], None]]]) -> list[Result]:
    results: list[Result] = []
    try:
        for name, check in checks:
            if results and not results[0].ok and results[0].name == "database":
                # The heartbeats and the outbox are rows: not known without the database.
                results.append(Result(name, False, "not checked (no database)"))
                continue
            try:
                check()
            except CheckFailed as failure:
                results.append(Result(name, False, str(failure)))
            else:
                results.append(Result(name, True))
    finally:
        # This thread's own connection: opened for this probe, closed after it (a probe every
        # few seconds costs one connection; a connection kept here would never be recycled).
        # One lent by the thread that owns it (the unit tests' transaction) stays open.
        for connection in connections.all(initialized_only=True):
            if not connection.allow_thread_sharing:
                connection.close()
    return results


# One thread per group, and at most one run of a group at a time: a check still stuck in a
# previous probe (a hung server) fails the next probe at once instead of piling up threads.
_pool = ThreadPoolExecutor(max_workers=len(GROUPS), thread_name_prefix="readyz")
_running: dict[str, Future] = {}
_running_lock = threading.Lock()


def run_checks(*, deadline: float = DEADLINE) -> list[Result]:
    futures: dict[str, Future] = {}
    results: list[Result] = []
    with _running_lock:
        for group, checks in GROUPS.items():
            previous = _running.get(group)
            if previous is not None and not previous.done():
                busy = "still waiting on the previous probe"
                results += [Result(name, False, busy) for name, _check in checks]
                continue
            futures[group] = _running[group] = _pool.submit(_run_group, checks)
    start = time.monotonic()
    for group, future in futures.items():
        left = max(0.0, deadline - (time.monotonic() - start))
        try:
            results += future.result(timeout=left)
        except FutureTimeout:
            results += [
                Result(name, False, f"no answer within {deadline:.0f} s")
                for name, _check in GROUPS[group]
            ]
    order = {name: index for index, name in enumerate(CHECKS)}
    return sorted(results, key=lambda result: order[result.name])


# --- the answer, and the log line on a change ------------------------------------------------

_state: dict[str, bool | None] = {"ready": None}
_state_lock = threading.Lock()


def _note(results: list[Result]) -> None:
    """One log line when readiness changes in this process, not one per probe."""
    ready = all(result.ok for result in results)
    with _state_lock:
        before, _state["ready"] = _state["ready"], ready
    if before is ready:
        return
    failed = ", ".join(f"{r.name} ({r.reason})" for r in results if not r.ok)
    if not ready and before:
        logger.warning("readiness: failing: %s", failed)
    elif not ready:  # the first probe of this process (the stack may still be starting)
        logger.info("readiness: not ready yet: %s", failed)
    elif before is False:
        logger.warning("readiness: ok again")
    else:
        logger.info("readiness: ok")


def readiness_response() -> HttpResponse:
    results = run_checks()
    _note(results)
    failed = [result.name for result in results if not result.ok]
    body = {
        "status": "failing" if failed else "ok",
        "failed": failed,
        "checks": {
            result.name: {"ok": True} if result.ok else {"ok": False, "reason": result.reason}
            for result in results
        },
    }
    response = HttpResponse(
        json.dumps(body, indent=1) + "\n",
        status=503 if failed else 200,
        content_type="application/json",
    )
    # Not Django's "Service Unavailable: /readyz" error line on each probe: `_note` logged the
    # change once.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
