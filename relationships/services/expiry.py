"""Pending invitations past their expiry become `expired` (the pages already treat them as
expired; this makes the status say so for reports and the admin)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from portal.audit import audit_record
from portal.turns import WriterTurns

from ..events import AuditType
from ..models import CustomerInvitation, InvitationEvent, InvitationStatus, ResellerInvitation
from ._invitations import invitation_event_record

BATCH = 50  # invitations expired per transaction: short, so the web never waits long (SQLite)


def invitations_expire_due(*, limit: int = 500) -> int:
    """Mark due invitations expired, each under a row lock, `BATCH` per short transaction;
    running it twice changes nothing."""
    done = 0
    turns = WriterTurns()
    kinds: tuple[tuple[type[ResellerInvitation] | type[CustomerInvitation], str], ...] = (
        (ResellerInvitation, AuditType.RESELLER_INVITATION_EXPIRED),
        (CustomerInvitation, AuditType.CUSTOMER_INVITATION_EXPIRED),
    )
    for model, audit_type in kinds:
        kind_done = 0
        while kind_done < limit:
            with transaction.atomic():
                due: list[ResellerInvitation | CustomerInvitation] = list(
                    model.objects.select_for_update(skip_locked=True)
                    .filter(status=InvitationStatus.PENDING, expires_at__lte=timezone.now())
                    .order_by("pk")[: min(BATCH, limit - kind_done)]
                )
                for invitation in due:
                    invitation.status = InvitationStatus.EXPIRED
                    invitation.save(update_fields=["status"])
                    audit_record(
                        type=audit_type,
                        organization=invitation.organization,
                        invitation=invitation.pk,
                    )
                    invitation_event_record(invitation, type=InvitationEvent.Type.EXPIRED)
            kind_done += len(due)
            turns.take()
            if len(due) < BATCH:
                break
        done += kind_done
    return done
