from __future__ import annotations

from typing import Any

from .models import AuditEvent, Notification, Organization, User
from .notices import Notice, notice_english


def audit_record(
    *, type: str, organization: Organization | None, actor: User | None = None, **details: Any
) -> AuditEvent:
    """Append one audit event; call inside the transaction of the change it describes."""
    return AuditEvent.objects.create(
        type=type, organization=organization, actor=actor, details=details
    )


def notify(*, organization: Organization, message: Notice, link: str = "") -> Notification:
    """A notice for the organization's admins, worded when read in the reader's language."""
    return Notification.objects.create(
        organization=organization,
        code=message.msgid,
        params=message.stored_params(),
        message=notice_english(message)[:300],
        link=link,
    )
