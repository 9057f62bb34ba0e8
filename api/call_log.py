"""The API call log: every /api/v1/ call of an authenticated client (reads, writes, and the 4xx
answers it got: 404, 429, ...), shown on Settings → API clients → a client's calls.

A call does not write the log itself: a read of the API costs ~3 ms of CPU, and an INSERT with
its indexes and its commit would be a good part of that, on the database every call shares.
`api_call_logged` packs the call into one short JSON record and appends it to a Redis list on
the default cache's server with ONE command (RPUSH, `portal.cache.ResilientRedisCache.push`);
beat runs `api_calls_drain` every API_CALL_DRAIN_SECONDS, which inserts the list's records in
batches of BATCH rows (one INSERT each). Where there is no Redis to push to (a cache in process
memory: the tests, the SQLite demo) or Redis cannot take it (down, refusing), the call writes
its row itself: a call is never left out of the log because Redis is.

What can be lost, and what cannot:
- A record is in Redis until a drain has committed its row: the drain first moves its batch
  to a list of its own (`_PROCESSING`, atomically: `ResilientRedisCache.claim`) and empties it
  only after the insert committed; a worker killed in between leaves the batch there, and the
  next drain inserts it first. The same record inserted twice is one row (`call_id` is unique,
  the insert ignores conflicts), so a batch taken again costs nothing but the time.
- What Redis itself may lose, the log may lose: the records of the last second (appendfsync
  everysec) or since the last snapshot when Redis restarts without its data. That is the trade
  for a call that writes nothing to the database.
- A backlog (the worker down for hours) grows in Redis's memory (~250 bytes a call) until a
  worker drains it; the rows then carry the calls' own times, not the drain's.

One drain at a time (a lock in the cache, DRAIN_LOCK_SECONDS): each runs at most DRAIN_BUDGET
seconds, then leaves the rest to the next. `api_calls_sweep` (daily) deletes the calls older
than API_CALL_RETENTION_DAYS."""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError
from django.utils import timezone

from portal.cache import ResilientRedisCache
from portal.models import Organization

from .models import ApiCall, ApiClient

logger = logging.getLogger(__name__)

_CALLS = "api:calls"
_PROCESSING = "api:calls:processing"
_DRAIN_LOCK = "api:calls:drain-lock"
DRAIN_LOCK_SECONDS = 120
DRAIN_BUDGET = 8.0  # seconds: under the drain's 10 s period
BATCH = 1000
SWEEP_BATCH = 10_000
PATH_MAX = ApiCall._meta.get_field("path").max_length or 300
LABEL_MAX = ApiCall._meta.get_field("client_label").max_length or 200


def api_call_logged(
    *,
    client: ApiClient,
    organization_id: int,
    acting_for_id: int | None,
    method: str,
    path: str,
    status: int,
    duration_ms: float,
    request_id: str | None,
    ip_address: str | None,
    started: float,
) -> None:
    """Log one call (`started`: its `time.time()`): one RPUSH on Redis, else its row now."""
    record = json.dumps(
        [
            os.urandom(16).hex(),  # the call's id (a UUID object costs 6 times more)
            client.pk,
            client.label[:LABEL_MAX],
            organization_id,
            acting_for_id,
            method[:8],
            path[:PATH_MAX],
            status,
            round(duration_ms, 2),
            request_id or "",
            ip_address,
            started,
        ],
        separators=(",", ":"),
    ).encode()
    backend = caches["default"]
    if isinstance(backend, ResilientRedisCache) and backend.push(_CALLS, record):
        return
    try:
        # The client and organizations are the call's own: nothing to check before the INSERT.
        ApiCall.objects.bulk_create(
            [call for call in [_unpack(record)] if call], ignore_conflicts=True
        )
    except DatabaseError:
        # Neither Redis nor the database took it: the log line keeps it for an operator.
        logger.exception("An API call could not be logged: %s", record.decode())


def _unpack(record: bytes | str) -> ApiCall | None:
    try:
        (
            call_id,
            client_id,
            label,
            organization_id,
            acting_for_id,
            method,
            path,
            status,
            duration_ms,
            request_id,
            ip_address,
            started,
        ) = json.loads(record)
        return ApiCall(
            call_id=uuid.UUID(hex=call_id),
            client_id=client_id,
            client_label=label,
            organization_id=organization_id,
            acting_for_id=acting_for_id,
            method=method,
            path=path,
            status=status,
            duration_ms=duration_ms,
            request_id=request_id,
            ip_address=ip_address,
            created_at=datetime.fromtimestamp(started, UTC),
        )
    except (ValueError, TypeError, OverflowError):
        logger.error("An API call record that cannot be read was dropped: %r", record)
        return None


def api_calls_insert(records: list[bytes] | list[str]) -> int:
    """Insert packed records (`api_call_logged`) as rows; a record whose `call_id` is already a
    row is skipped. A client deleted since its call leaves its label (and no link); the call of
    an organization deleted since is dropped with it. Returns the records read."""
    calls = [call for call in map(_unpack, records) if call is not None]
    if not calls:
        return 0
    organizations = set(
        Organization.objects.filter(
            pk__in={c.organization_id for c in calls} | {c.acting_for_id for c in calls}
        ).values_list("pk", flat=True)
    )
    clients = set(
        ApiClient.objects.filter(pk__in={c.client_id for c in calls}).values_list("pk", flat=True)
    )
    kept = []
    for call in calls:
        if call.organization_id not in organizations:
            continue
        if call.client_id not in clients:
            call.client_id = None
        if call.acting_for_id not in organizations:
            call.acting_for_id = None
        kept.append(call)
    ApiCall.objects.bulk_create(kept, ignore_conflicts=True)
    return len(calls)


def api_calls_drain(*, budget: float = DRAIN_BUDGET, batch: int = BATCH) -> int:
    """Insert the calls waiting in Redis, batch by batch, for up to `budget` seconds; the
    records read (0 without Redis, while it is unreachable, or while another drain runs)."""
    backend = caches["default"]
    if not isinstance(backend, ResilientRedisCache):
        return 0
    if not backend.shared_call("add", _DRAIN_LOCK, 1, DRAIN_LOCK_SECONDS):
        return 0
    read = 0
    deadline = time.monotonic() + budget
    try:
        while time.monotonic() < deadline:
            records = backend.claim(_CALLS, _PROCESSING, batch)
            if not records:
                break
            read += api_calls_insert(records)
            # Done with the batch only once its rows are committed (autocommit: they are).
            backend.shared_call("delete", _PROCESSING)
    finally:
        backend.shared_call("delete", _DRAIN_LOCK)
    return read


def api_calls_sweep(*, now: datetime | None = None) -> int:
    """Delete the calls older than API_CALL_RETENTION_DAYS, SWEEP_BATCH rows a statement (no
    long lock on the table); the number deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.API_CALL_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(
            ApiCall.objects.filter(created_at__lt=cutoff)
            .order_by("created_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if not ids:
            return deleted
        deleted += ApiCall.objects.filter(pk__in=ids).delete()[0]
