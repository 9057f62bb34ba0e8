"""Thin Celery tasks: take ids, call a service. Both are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .services import case_checks_complete, verification_sweep_due


@shared_task(acks_late=True)
def verification_run_checks(case_id: int) -> None:
    case_checks_complete(case_id=case_id)


@shared_task
def verification_sweep() -> int:
    """Beat, every minute: reminders, expiry, escalation, lost checks."""
    return verification_sweep_due()
