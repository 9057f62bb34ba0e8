from __future__ import annotations

from typing import Any

from .models import AuditEvent, Notification, Organization, User


def audit_record(
    *, type: str, organization: Organization | None, actor: User | None = None, **details: Any
) -> AuditEvent:
    """Append one audit event; call inside the transaction of the change it describes."""
    return AuditEvent.objects.create(
        type=type, organization=organization, actor=actor, details=details
    )


def notify(*, organization: Organization, message: str, link: str = "") -> Notification:
    return Notification.objects.create(organization=organization, message=message[:300], link=link)
