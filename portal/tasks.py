"""Thin tasks over the outbox: one drain sends many messages in batches."""

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from .export_services import export_run as run_export
from .export_services import exports_sweep as sweep_exports
from .form_tokens import form_submissions_sweep as sweep_form_submissions
from .operations import WORKER, record_heartbeat
from .outbox import outbox_drain as drain_outbox
from .outbox import outbox_due_count, queue_drain


@shared_task(bind=True, acks_late=True, max_retries=120)
def outbox_drain(self) -> int:
    """Send every due message, batch by batch. With a backlog it asks for one helper drain
    (which may ask for another while the backlog lasts: every worker process takes a share).
    Hands over to a fresh task after a time budget (so one drain never holds a worker for long)
    and comes back after the earliest backoff."""
    try:
        claimed, retry_in, more = drain_outbox(on_backlog=queue_drain)
    except DatabaseError as exc:  # the database is down or restarting: try again shortly
        raise self.retry(exc=exc, countdown=settings.OUTBOX_DB_RETRY_PAUSE_SECONDS) from exc
    if more:
        queue_drain()
    elif retry_in is not None:
        queue_drain(countdown=retry_in.total_seconds())
    return claimed


@shared_task(acks_late=True)
def outbox_send(message_id: int) -> None:
    """Kept for messages queued by an earlier release: drains the outbox (which sends it)."""
    queue_drain()


@shared_task
def outbox_sweep() -> int:
    """Beat, every minute: queue drains for rows that are due (never queued because the broker
    was down, failed earlier, or claimed by a worker that died). Several drains when the
    backlog is large, so every worker process can take a share."""
    due = outbox_due_count()
    if due:
        batches = -(-due // settings.OUTBOX_BATCH_SIZE)
        for _ in range(min(batches, settings.OUTBOX_SWEEP_MAX_DRAINS)):
            queue_drain()
    return due


@shared_task(acks_late=True)
def export_run(export_id: int) -> str:
    """Write one background export (idempotent: a second run finds it no longer waiting)."""
    export = run_export(export_id=export_id)
    return export.status if export else "skipped"


@shared_task
def exports_sweep() -> int:
    """Beat, every 5 minutes: delete expired export files, fail abandoned runs, requeue lost
    ones (`export_services.exports_sweep`)."""
    return sweep_exports()


@shared_task(ignore_result=True, expires=60)
def ops_heartbeat() -> None:
    """Beat, every 15 s: the worker shows it takes tasks from the broker (portal/operations.py).
    Expires after a minute: a backlog of heartbeats would make a revived worker look alive
    before it caught up with the queue."""
    record_heartbeat(WORKER)


@shared_task
def form_submissions_sweep() -> int:
    """Beat, daily: forget the one-time form tokens no longer accepted (portal/form_tokens.py)."""
    return sweep_form_submissions()
