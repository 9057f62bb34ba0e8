"""Thin tasks over the webhook outbox (webhooks/services.py)."""

from celery import shared_task
from django.db import DatabaseError

from .services import queue_drain, retry_schedule_taken, retry_scheduled_once
from .services import webhooks_drain as drain
from .services import webhooks_sweep as sweep

# The next drain after a failed round comes at the earliest retry, however far (a drain with a
# countdown of at most this long; the sweep takes later ones).
_LONGEST_COUNTDOWN = 60.0


@shared_task(bind=True, acks_late=True, max_retries=120)
def webhooks_drain(self, scheduled: bool = False) -> int:
    """Send every due delivery; come back after the earliest retry (one drain does: the
    scheduled one), or at once with more due."""
    if scheduled:
        retry_schedule_taken()
    try:
        delivered, retry_in, more = drain()
    except DatabaseError as exc:  # the database is down or restarting: try again shortly
        raise self.retry(exc=exc, countdown=5) from exc
    if self.request.is_eager:  # unit tests: the next round is the test's to run
        return delivered
    if more:
        queue_drain()
    elif retry_in is not None and retry_in.total_seconds() <= _LONGEST_COUNTDOWN:
        countdown = max(retry_in.total_seconds(), 0.1)
        if retry_scheduled_once(countdown):
            queue_drain(countdown=countdown, scheduled=True)
    return delivered


@shared_task
def webhooks_sweep() -> int:
    """Beat, every minute: queue a drain when deliveries are due."""
    return sweep()
