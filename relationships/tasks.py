"""Thin Celery tasks; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .services.bulk import bulk_batch_send, bulk_batches_resume_due
from .services.expiry import invitations_expire_due


@shared_task
def relationships_expire_invitations() -> int:
    """Beat (suggested: hourly): pending invitations past their expiry become expired."""
    return invitations_expire_due()


@shared_task(acks_late=True)
def relationships_bulk_invitations_send(batch_id: int) -> None:
    """Send a confirmed bulk-invitation file in chunks; a rerun resumes where it stopped."""
    bulk_batch_send(batch_id=batch_id)


@shared_task
def relationships_bulk_invitations_resume() -> int:
    """Beat (every minute): files that waited for their organization's hourly limit go on."""
    return bulk_batches_resume_due()
