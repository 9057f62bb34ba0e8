from __future__ import annotations


class InvitationUnavailable(Exception):
    """The invitation cannot be acted on; `reason` picks its page: invalid, expired, accepted,
    declined or revoked."""

    def __init__(self, reason: str, invitation=None):
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation
