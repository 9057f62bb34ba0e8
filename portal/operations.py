"""What an operator watches, read in one place: `/readyz`, `/metrics` and the operations page all
ask these functions, so the three never disagree.

- Heartbeats: the worker records one each time it runs the `ops_heartbeat` task (beat queues it
  every `HEARTBEAT_EVERY`), so a worker that is stopped, hung or cut from the broker stops
  beating; beat records its own at each tick (`portal.celery.HeartbeatScheduler`). Kept in the
  database (one row per process kind), so the embedded default sees them too.
- The outbox: how many emails wait, how old the oldest is, which ones failed their last attempt.
- The broker: how many tasks wait in the queue.
- Server errors: a count per minute in the shared cache, written by `ServerErrorCountMiddleware`.
- Readings of the feature apps (cases past their SLA, bulk sends running, delegated sessions),
  registered with `register_reading()` in their `AppConfig.ready()`: the core imports no feature.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Min, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import Heartbeat, OutboxMessage

logger = logging.getLogger(__name__)

# Beat queues the worker's heartbeat task this often; a heartbeat older than HEARTBEAT_STALE
# means the process is gone, hung or cannot reach the broker. Settings (15 s and 60 s by
# default; the fault suite shortens both); beat's "ops-heartbeat" entry follows the first.
HEARTBEAT_EVERY = timedelta(seconds=settings.PORTAL_HEARTBEAT_EVERY_SECONDS)
HEARTBEAT_STALE = timedelta(seconds=settings.PORTAL_HEARTBEAT_STALE_SECONDS)
WORKER, BEAT = "worker", "beat"

UNSENT = (OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING)


# --- heartbeats ---------------------------------------------------------------------------


def record_heartbeat(name: str, *, now: datetime | None = None) -> None:
    """Note that the process kind `name` is alive now. One UPDATE (an INSERT the first time)."""
    now = now or timezone.now()
    if not Heartbeat.objects.filter(name=name).update(seen_at=now):
        Heartbeat.objects.get_or_create(name=name, defaults={"seen_at": now})


def heartbeats() -> dict[str, datetime]:
    """When each process kind last beat (kinds never seen are absent)."""
    return dict(Heartbeat.objects.values_list("name", "seen_at"))


def heartbeat_age(seen: dict[str, datetime], name: str, now: datetime) -> float | None:
    """Seconds since `name` last beat, or None if it never did."""
    at = seen.get(name)
    return None if at is None else max(0.0, (now - at).total_seconds())


# --- the outbox ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    waiting: int  # emails not sent yet (due now, retrying later, or being sent)
    oldest_age_seconds: float  # 0 when nothing waits
    failing: int  # of those, emails whose last attempt failed
    # How long the most overdue email has waited for a worker: due and not picked up (since its
    # attempt was due) or claimed and not finished (since it was claimed). An email waiting for
    # its next retry (a mailbox that said "try again later") is not overdue: the outbox is
    # working; a worker that is gone, hung or cut off is. 0 when nothing is overdue.
    overdue_seconds: float = 0.0


def outbox_backlog(*, now: datetime | None = None) -> Backlog:
    """The unsent emails: two queries on the (status, next_attempt_at) index, whatever the number
    of emails sent in the past."""
    now = now or timezone.now()
    unsent = OutboxMessage.objects.filter(status__in=UNSENT)
    figures = unsent.aggregate(
        oldest=Min("created_at"),
        due_since=Min(
            "next_attempt_at",
            filter=Q(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now),
        ),
        claimed_since=Min("claimed_at", filter=Q(status=OutboxMessage.Status.SENDING)),
    )
    waiting = unsent.count()
    failing = unsent.exclude(last_error="").count() if waiting else 0

    def age(since: datetime | None) -> float:
        return max(0.0, (now - since).total_seconds()) if since else 0.0

    return Backlog(
        waiting=waiting,
        oldest_age_seconds=age(figures["oldest"]),
        failing=failing,
        overdue_seconds=max(age(figures["due_since"]), age(figures["claimed_since"])),
    )


def failed_emails() -> Any:
    """Unsent emails whose last attempt failed, oldest first (a queryset; pages slice it)."""
    return (
        OutboxMessage.objects.filter(status__in=UNSENT)
        .exclude(last_error="")
        .order_by("created_at", "pk")
    )


# --- the broker ---------------------------------------------------------------------------


def queue_depth() -> int:
    """Tasks waiting in the portal's queue on the broker (Redis lists, or the embedded default's
    files). Raises when the broker cannot be reached."""
    from celery import current_app
    from kombu.exceptions import ChannelError

    with current_app.connection_for_read() as conn:
        # A refused connection is tried once more at once, not after kombu's default 2 s.
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        channel: Any = conn.default_channel
        try:
            declared = channel.queue_declare(queue=settings.CELERY_TASK_DEFAULT_QUEUE, passive=True)
        except ChannelError:  # nothing was ever queued on this broker
            return 0
        return int(declared.message_count)


# --- server errors ------------------------------------------------------------------------

SERVER_ERROR_KEY = "ops:5xx:{minute}"
SERVER_ERROR_WINDOW_MINUTES = 15


def record_server_error(*, at: float | None = None) -> None:
    minute = int((at or time.time()) // 60)
    key = SERVER_ERROR_KEY.format(minute=minute)
    try:
        cache.add(key, 0, timeout=(SERVER_ERROR_WINDOW_MINUTES + 2) * 60)
        cache.incr(key)
    except ValueError:  # expired between add and incr: count it in a fresh key
        cache.set(key, 1, timeout=(SERVER_ERROR_WINDOW_MINUTES + 2) * 60)


def recent_server_errors(
    *, minutes: int = SERVER_ERROR_WINDOW_MINUTES, at: float | None = None
) -> int:
    """Answers with a 5xx status in the last `minutes` minutes, across the web processes that
    share the cache."""
    current = int((at or time.time()) // 60)
    keys = [SERVER_ERROR_KEY.format(minute=current - back) for back in range(minutes)]
    return sum(int(value) for value in cache.get_many(keys).values())


class ServerErrorCountMiddleware:
    """Counts every answer with a 5xx status (the 503 of an outage too: it sits right after the
    outage middleware). A failure to count never changes the answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500:
            try:
                record_server_error()
            except Exception:  # the cache is down as well: the log has the error
                logger.debug("could not count a server error", exc_info=True)
        return response


# --- delegated sessions -------------------------------------------------------------------

DELEGATED_KEY = "ops:delegated-sessions"
DELEGATED_MAX = 10_000


def note_delegated_session(session_key: str, *, seen: float | None, idle_seconds: float) -> None:
    """Record that a delegated (on-behalf-of) context was used now; `seen=None` forgets it (the
    user left the customer's account). Called at most once a minute per session (the session's
    own "seen" write), so the read-modify-write of one cache key stays cheap; a lost race
    undercounts one session for a minute."""
    now = time.time()
    entries: dict[str, float] = cache.get(DELEGATED_KEY) or {}
    entries = {key: at for key, at in entries.items() if now - at < idle_seconds}
    if seen is None:
        entries.pop(session_key, None)
    elif len(entries) < DELEGATED_MAX or session_key in entries:
        entries[session_key] = seen
    cache.set(DELEGATED_KEY, entries, timeout=int(idle_seconds) + 60)


def delegated_sessions_active(*, idle_seconds: float) -> int:
    now = time.time()
    entries: dict[str, float] = cache.get(DELEGATED_KEY) or {}
    return sum(1 for at in entries.values() if now - at < idle_seconds)


# --- the feature apps' readings -----------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A number a feature app reports: `key` names the metric (`portal_<key>`), `label` is shown on
    the operations page, `read()` answers it (a query or two, bounded)."""

    key: str
    label: Any  # a lazy translation
    help: str
    read: Callable[[], float]
    # A count that should be zero (cases past their SLA): the page marks it when it is not.
    alert_above: float | None = None


_READINGS: dict[str, Reading] = {}


def register_reading(reading: Reading) -> None:
    _READINGS[reading.key] = reading


def readings() -> list[Reading]:
    return sorted(_READINGS.values(), key=lambda reading: reading.key)


def read_all() -> dict[str, float | None]:
    """Every registered reading; None for one that failed (logged), so one failure never hides
    the others."""
    values: dict[str, float | None] = {}
    for reading in readings():
        try:
            values[reading.key] = float(reading.read())
        except DatabaseError:
            logger.warning("operations reading %s failed", reading.key, exc_info=True)
            values[reading.key] = None
    return values
