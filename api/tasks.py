"""Thin tasks of the `api` app."""

from celery import shared_task

from .call_log import api_calls_drain as drain
from .call_log import api_calls_sweep as sweep
from .idempotency import idempotency_keys_sweep


@shared_task
def api_idempotency_sweep() -> int:
    """Beat, hourly: forget Idempotency-Keys older than 24 hours."""
    return idempotency_keys_sweep()


@shared_task
def api_calls_drain() -> int:
    """Beat, every API_CALL_DRAIN_SECONDS: the API calls waiting in Redis into the call log."""
    return drain()


@shared_task
def api_calls_sweep() -> int:
    """Beat, daily: delete the logged API calls older than API_CALL_RETENTION_DAYS."""
    return sweep()
