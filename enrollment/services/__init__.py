"""Enrolment services (writes). One module per area; import from here."""

from .agreement import agreement_accept
from .members import (
    PARTNER_ROLES,
    member_add,
    member_password_reset,
    membership_remove,
    membership_roles_update,
)
from .profile import (
    legacy_account_link,
    legal_profile_update,
    partner_id_add,
    partner_id_associate,
)
from .wizard import StepInvalid, enrollment_draft_save, enrollment_start, enrollment_submit

__all__ = [
    "PARTNER_ROLES",
    "StepInvalid",
    "agreement_accept",
    "enrollment_draft_save",
    "enrollment_start",
    "enrollment_submit",
    "legacy_account_link",
    "legal_profile_update",
    "member_add",
    "member_password_reset",
    "membership_remove",
    "membership_roles_update",
    "partner_id_add",
    "partner_id_associate",
]
