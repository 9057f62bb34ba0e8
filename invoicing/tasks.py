"""Thin Celery tasks; safe to run twice."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from .services import charges_recurring_sweep, period_close, previous_period
from .usage_uploads import usage_file_import


@shared_task
def invoicing_recurring_sweep() -> int:
    """Beat (daily): the monthly lines of monthly-billed annual terms due today."""
    return charges_recurring_sweep()


@shared_task
def invoicing_close_previous_month(period: str = "") -> int:
    """Beat (the 1st of each month, after the day's recurring lines): close the month before
    (or `period`, YYYY-MM-DD). A closed month is left as it is; a crashed close resumes."""
    charges_recurring_sweep()
    return period_close(date.fromisoformat(period) if period else previous_period())


@shared_task(acks_late=True)
def invoicing_usage_file_import(import_id: int) -> None:
    """Import an uploaded usage file's waiting rows; a rerun resumes where it stopped."""
    usage_file_import(import_id=import_id)
