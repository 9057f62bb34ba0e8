"""Thin Celery tasks; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from .services.expiry import invitations_expire_due


@shared_task
def relationships_expire_invitations() -> int:
    """Beat (suggested: hourly): pending invitations past their expiry become expired."""
    return invitations_expire_due()
