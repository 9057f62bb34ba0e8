"""Thin tasks of the `api` app."""

from celery import shared_task

from .idempotency import idempotency_keys_sweep


@shared_task
def api_idempotency_sweep() -> int:
    """Beat, hourly: forget Idempotency-Keys older than 24 hours."""
    return idempotency_keys_sweep()
