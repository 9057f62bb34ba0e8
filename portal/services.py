from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .events import AuditType
from .models import OutboxMessage, User
from .operations import failed_emails
from .outbox import queue_drain
from .policy import Action, require_member


@transaction.atomic
def user_set_language(*, user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


class RetryOutcome(StrEnum):
    QUEUED = "queued"  # its next attempt is now; a drain is queued
    SENT = "sent"  # sent already: nothing to do
    SENDING = "sending"  # a worker holds it right now: left alone
    MISSING = "missing"  # no such email


@dataclass(frozen=True)
class EmailRetry:
    outcome: RetryOutcome
    to_email: str = ""


def outbox_retry_now(*, actor: User, message_id: int) -> EmailRetry:
    """The operator's "Retry now" on an email that failed: its next attempt becomes now and a
    drain is queued after the commit (the sweeper's next minute takes it should the broker be
    down). Only an unsent email waiting for its turn is touched: a sent one never goes twice,
    and one a worker holds is that worker's (its claim times out if the worker died)."""
    with transaction.atomic():
        membership = require_member(actor=actor, organization=None, action=Action.RETRY_EMAIL)
        # Waits only for a worker's claim (a short transaction), never for a send.
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            return EmailRetry(RetryOutcome.MISSING)
        if message.sent_at is not None or message.status == OutboxMessage.Status.SENT:
            return EmailRetry(RetryOutcome.SENT, message.to_email)
        if message.status == OutboxMessage.Status.SENDING:
            return EmailRetry(RetryOutcome.SENDING, message.to_email)
        message.next_attempt_at = timezone.now()
        message.save(update_fields=["next_attempt_at"])
        audit_record(
            type=AuditType.EMAIL_RETRY_REQUESTED,
            organization=membership.organization,
            actor=actor,
            email=message.to_email,
            outbox_message=message.pk,
            template=message.template,
        )
        transaction.on_commit(queue_drain)
    return EmailRetry(RetryOutcome.QUEUED, message.to_email)


def outbox_retry_failed(*, actor: User) -> int:
    """ "Retry all failed": every unsent email whose last attempt failed and that waits for its
    turn is due now (one UPDATE, whatever their number); one audit event with the count."""
    with transaction.atomic():
        membership = require_member(actor=actor, organization=None, action=Action.RETRY_EMAIL)
        count = (
            failed_emails()
            .filter(status=OutboxMessage.Status.PENDING, sent_at__isnull=True)
            .update(next_attempt_at=timezone.now())
        )
        if count:
            audit_record(
                type=AuditType.EMAILS_RETRY_REQUESTED,
                organization=membership.organization,
                actor=actor,
                count=count,
            )
            transaction.on_commit(queue_drain)
    return count
