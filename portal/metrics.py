"""Prometheus metrics: GET /metrics, answered by `MetricsMiddleware` before sessions and sign-in.

What is measured where:
- Each request (this middleware): its latency, labelled by URL name (never the raw path, so the
  number of series stays fixed), method and status class, and the number of database queries it
  made (a wrapper every connection carries, counting only inside a request).
- Each Celery task (worker signals below): how long it waited in the queue and how long it ran.
- At scrape time (`OperationsCollector`): the readings of portal/operations.py (outbox backlog and
  its oldest age, queue depth, heartbeats, 5xx in the last 15 minutes, delegated sessions, the
  feature apps' readings such as cases past their SLA). One source that fails (the broker is
  down) leaves its series out and sets `portal_metrics_source_up{source=...}` to 0; the others
  still answer.

Several processes (gunicorn's workers, Celery's pool) each count their own requests and tasks:
prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, portal/metrics_files.py) adds
them up at scrape time. Without that variable (runserver, unit tests) one process is counted.

Who may read /metrics: a client connecting from PORTAL_METRICS_ALLOWED_NETS (loopback by default)
without having come through a proxy, or one with `Authorization: Bearer PORTAL_METRICS_TOKEN`.
Anyone else gets the portal's ordinary 404 page, as for any address that does not exist."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from typing import Any

from celery.signals import (
    before_task_publish,
    task_postrun,
    task_prerun,
    worker_process_shutdown,
)
from django.conf import settings
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from . import operations
from .metrics_files import multiprocess_dir, retire_process, tolerant_multiprocess_collector

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"

# --- what is observed in the processes ----------------------------------------------------

REQUEST_SECONDS = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer a request, by URL name, method and status class.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUEST_QUERIES = Histogram(
    "portal_http_request_db_queries",
    "Database queries made to answer a request, by URL name.",
    ["view"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100),
)
TASK_SECONDS = Histogram(
    "portal_celery_task_duration_seconds",
    "Time a Celery task ran, by task name and final state.",
    ["task", "state"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
TASK_WAIT_SECONDS = Histogram(
    "portal_celery_task_queue_wait_seconds",
    "Time a Celery task waited in the queue (from when it was due) before a worker started it.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0),
)

# Methods outside this set are labelled "other": a client cannot invent new series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Requests answered before URL resolution (a middleware's redirect, a 404 for a path that matches
# no URL, a refused host) have no URL name.
UNRESOLVED = "<unresolved>"

# The histograms' children by (URL name, method, status class): `labels()` costs about as much as
# an observation, and the set of keys is bounded by the URL names.
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

# The current request's query count: a one-item list a connection's wrapper adds to, or None
# outside a request (a task, a management command), where nothing is counted.
_queries: ContextVar[list[int] | None] = ContextVar("portal_request_queries", default=None)


def _count_query(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
    box = _queries.get()
    if box is not None:
        box[0] += 1
    return execute(sql, params, many, context)


def _carry_query_counter(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Each connection counts its queries for the request in progress: one function call a
    query, no DEBUG needed. Added once per connection object (a reconnect keeps it)."""
    if _count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count_query)


connection_created.connect(_carry_query_counter, dispatch_uid="portal.metrics.queries")


class MetricsMiddleware:
    """Serves /metrics to allowed clients; times every other request and counts its queries."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path_info == METRICS_PATH
            and request.method in ("GET", "HEAD")
            and metrics_allowed(request)
        ):
            return metrics_response()
        # Everything else, a refused /metrics too: the ordinary answer (a 404 page for that one,
        # as for any address that does not exist). A streamed body (a CSV export) is timed and
        # counted up to its first byte: what it does while streaming happens after this returns.
        box = [0]
        token = _queries.set(box)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            _queries.reset(token)
        elapsed = time.perf_counter() - started
        match = request.resolver_match
        view = match.view_name if match is not None else UNRESOLVED
        method = request.method if request.method in METHODS else "other"
        try:
            key = (view, method, response.status_code // 100)
            children = _children.get(key)
            if children is None:
                children = _children[key] = (
                    REQUEST_SECONDS.labels(view, method, f"{key[2]}xx"),
                    REQUEST_QUERIES.labels(view),
                )
            children[0].observe(elapsed)
            children[1].observe(box[0])
        except Exception:  # e.g. PROMETHEUS_MULTIPROC_DIR not writable: never fail the answer
            _warn_once("could not record a request's metrics")
        return response


_warned: set[str] = set()


def _warn_once(what: str) -> None:
    """Log a failure to record metrics once per process (with its traceback), not per request."""
    if what not in _warned:
        _warned.add(what)
        logger.warning("metrics: %s", what, exc_info=True)


# --- who may read /metrics ----------------------------------------------------------------


@cache
def _allowed_networks(
    nets: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(net, strict=False) for net in nets)


def metrics_allowed(request: HttpRequest) -> bool:
    token: str = settings.PORTAL_METRICS_TOKEN
    if token:
        sent = request.headers.get("authorization", "")
        if sent.startswith("Bearer ") and hmac.compare_digest(
            sent[len("Bearer ") :].strip().encode(), token.encode()
        ):
            return True
    # A proxy on the same machine connects from loopback on behalf of anyone: a request that
    # came through one is never let in by its network address.
    if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
        return False
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped:
        peer = peer.ipv4_mapped
    networks = _allowed_networks(tuple(settings.PORTAL_METRICS_ALLOWED_NETS))
    return any(peer in network for network in networks)


def metrics_response() -> HttpResponse:
    response = HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


class _ThisProcess(Collector):
    """The default registry's metrics, when there is one process to count."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


def scrape_registry() -> CollectorRegistry:
    """A registry for one scrape: every process's counts plus the operators' readings."""
    registry = CollectorRegistry(auto_describe=False)
    path = multiprocess_dir()
    if path:
        registry.register(tolerant_multiprocess_collector(path))
    else:
        registry.register(_ThisProcess())
    registry.register(OperationsCollector())
    return registry


# --- read at scrape time ------------------------------------------------------------------


class OperationsCollector(Collector):
    """portal/operations.py's readings as gauges: a handful of bounded queries, one cache read and
    one broker round trip. Each source is read on its own: one that fails is left out (logged,
    and `portal_metrics_source_up` says which), the rest still answer."""

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily(
            "portal_metrics_source_up",
            "1 when the source of a group of series could be read at this scrape, else 0.",
            labels=["source"],
        )
        now = timezone.now()
        for source, read in (
            ("heartbeats", lambda: self._heartbeats(now)),
            ("outbox", lambda: self._outbox(now)),
            ("broker", self._queue),
            ("server_errors", self._server_errors),
            ("delegated_sessions", self._delegated),
        ):
            try:
                families = list(read())
            except Exception as error:  # one line a scrape, not a traceback every 15 s
                logger.warning("metrics: could not read %s: %r", source, error)
                up.add_metric([source], 0)
            else:
                up.add_metric([source], 1)
                yield from families
        # read_all() isolates each reading's database errors itself (None for a failed one).
        try:
            values = operations.read_all()
        except Exception:
            logger.warning("metrics: could not read the feature readings", exc_info=True)
            values = {}
        for reading in operations.readings():
            value = values.get(reading.key)
            up.add_metric([reading.key], 0 if value is None else 1)
            if value is not None:
                yield GaugeMetricFamily(f"portal_{reading.key}", reading.help, value=value)
        yield up

    @staticmethod
    def _heartbeats(now: datetime) -> Iterator[Any]:
        seen = operations.heartbeats()
        age = GaugeMetricFamily(
            "portal_heartbeat_age_seconds",
            "Seconds since the process kind (worker, beat) last recorded its heartbeat; absent "
            "when it never did.",
            labels=["process"],
        )
        for name in (operations.WORKER, operations.BEAT):
            value = operations.heartbeat_age(seen, name, now)
            if value is not None:
                age.add_metric([name], value)
        yield age

    @staticmethod
    def _outbox(now: datetime) -> Iterator[Any]:
        backlog = operations.outbox_backlog(now=now)
        yield GaugeMetricFamily(
            "portal_outbox_backlog",
            "Emails written to the outbox and not sent yet.",
            value=backlog.waiting,
        )
        yield GaugeMetricFamily(
            "portal_outbox_oldest_age_seconds",
            "Age of the oldest unsent email (0 when none waits).",
            value=backlog.oldest_age_seconds,
        )
        yield GaugeMetricFamily(
            "portal_outbox_failing",
            "Unsent emails whose last attempt failed.",
            value=backlog.failing,
        )

    @staticmethod
    def _queue() -> Iterator[Any]:
        depth = GaugeMetricFamily(
            "portal_celery_queue_depth",
            "Tasks waiting in the broker's queue.",
            labels=["queue"],
        )
        depth.add_metric([settings.CELERY_TASK_DEFAULT_QUEUE], operations.queue_depth())
        yield depth

    @staticmethod
    def _server_errors() -> Iterator[Any]:
        yield GaugeMetricFamily(
            "portal_http_server_errors_recent",
            f"Answers with a 5xx status in the last {operations.SERVER_ERROR_WINDOW_MINUTES} "
            "minutes, across the web processes.",
            value=operations.recent_server_errors(),
        )

    @staticmethod
    def _delegated() -> Iterator[Any]:
        from .delegation import IDLE_TIMEOUT

        yield GaugeMetricFamily(
            "portal_delegated_sessions_active",
            "Partner agents working in a customer's account (active in the idle timeout).",
            value=operations.delegated_sessions_active(idle_seconds=IDLE_TIMEOUT.total_seconds()),
        )


# --- Celery tasks, observed in the worker's processes -------------------------------------

SENT_AT_HEADER = "portal_sent_at"
_started: dict[str, float] = {}


@before_task_publish.connect(weak=False, dispatch_uid="portal.metrics.sent_at")
def _stamp_sent_at(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """The time the task was queued travels in its message, so the worker can tell how long it
    waited (Celery's own messages carry no such time)."""
    if headers is not None:
        headers.setdefault(SENT_AT_HEADER, time.time())


def _due_at(request: Any) -> float | None:
    """When the task could start: its queueing time, or its ETA (a retry's countdown) if later."""
    sent = getattr(request, SENT_AT_HEADER, None)
    due = float(sent) if isinstance(sent, int | float) else None
    eta = getattr(request, "eta", None)
    if eta:
        try:
            eta_at = datetime.fromisoformat(eta).timestamp() if isinstance(eta, str) else None
        except ValueError:
            eta_at = None
        if eta_at is not None:
            due = eta_at if due is None else max(due, eta_at)
    return due


@task_prerun.connect(weak=False, dispatch_uid="portal.metrics.task_prerun")
def _task_started(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    if task_id is None or task is None or task.request.is_eager:
        return
    now = time.time()
    _started[task_id] = time.perf_counter()
    due = _due_at(task.request)
    if due is not None:
        try:
            TASK_WAIT_SECONDS.labels(task.name).observe(max(0.0, now - due))
        except Exception:  # never fail the task
            _warn_once("could not record a task's queue wait")


@task_postrun.connect(weak=False, dispatch_uid="portal.metrics.task_postrun")
def _task_finished(
    task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    started = _started.pop(task_id, None) if task_id else None
    if started is None or task is None:
        return
    try:
        TASK_SECONDS.labels(task.name, state or "UNKNOWN").observe(time.perf_counter() - started)
    except Exception:
        _warn_once("could not record a task's run time")


@worker_process_shutdown.connect(weak=False, dispatch_uid="portal.metrics.pool_process_ended")
def _pool_process_ended(**kwargs: Any) -> None:
    """A Celery pool process that ends folds its counts into the totals (metrics_files.py)."""
    retire_process(os.getpid())
