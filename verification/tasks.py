"""Thin Celery tasks: take ids, call a service. Both are safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from .services import case_checks_complete, verification_sweep_due

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def verification_run_checks(case_id: int) -> None:
    case_checks_complete(case_id=case_id)


@shared_task
def verification_sweep() -> int:
    """Beat, every minute: reminders, expiry, escalation, lost checks."""
    return verification_sweep_due()


def queue_checks(case_id: int) -> None:
    """Hand the checks to a worker after the commit. A broker failure is logged, not raised: the
    case's `next_action_at` lets the sweep run them."""
    try:
        verification_run_checks.apply_async(args=(case_id,), retry=False)
    except Exception:
        logger.warning("verification: could not queue checks for case %s", case_id, exc_info=True)
