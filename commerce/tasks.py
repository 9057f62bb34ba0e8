"""Thin Celery tasks; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .services import subscriptions_sweep_due


@shared_task
def commerce_sweep() -> int:
    """Beat (every 5 minutes): subscriptions at their term end renew or expire."""
    return subscriptions_sweep_due()
