"""Thin Celery tasks; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .services.gdap import gdap_sweep_due


@shared_task
def delegation_sweep() -> int:
    """Beat, every minute: GDAP requests that expire, warnings before the end, ends and
    auto-extensions (rows whose `next_action_at` is due)."""
    return gdap_sweep_due()
