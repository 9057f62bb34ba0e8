from __future__ import annotations

import secrets

from django.utils import timezone

from ..errors import InvitationUnavailable
from ..models import INVITATION_VALIDITY, InvitationStatus


def new_key() -> str:
    return secrets.token_urlsafe(32)


def expiry_for(kind: str):
    return timezone.now() + INVITATION_VALIDITY[kind]


def ensure_open(invitation) -> None:
    """Refuse an invitation that can no longer be acted on, naming why."""
    if invitation.status == InvitationStatus.PENDING and not invitation.is_expired:
        return
    raise InvitationUnavailable(invitation.effective_status, invitation)
