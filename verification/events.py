"""Audit event types of verification (registered with `portal.audit` in
`VerificationConfig.ready()`): one per case event type, code `verification.<case event type>`.
The codes are stored: never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import CaseEvent


class AuditType(models.TextChoices):
    OPENED = "verification.opened", _("Verification: case opened")
    CONTACT_EMAILED = (
        "verification.contact_emailed",
        _("Verification: confirmation email sent to the primary contact"),
    )
    CONTACT_CONFIRMED = (
        "verification.contact_confirmed",
        _("Verification: primary contact confirmed"),
    )
    CONTACT_DENIED = (
        "verification.contact_denied",
        _("Verification: primary contact said it wasn't them"),
    )
    CONTACT_CHANGED = "verification.contact_changed", _("Verification: primary contact changed")
    CHECKS_COMPLETED = (
        "verification.checks_completed",
        _("Verification: automated checks completed"),
    )
    CLAIMED = "verification.claimed", _("Verification: case assigned to a reviewer")
    APPROVED = "verification.approved", _("Verification: approved")
    REJECTED = "verification.rejected", _("Verification: rejected")
    INFO_REQUESTED = "verification.info_requested", _("Verification: more information requested")
    INFO_SUBMITTED = "verification.info_submitted", _("Verification: documents uploaded")
    REMINDED = "verification.reminded", _("Verification: reminder sent")
    EXPIRED = "verification.expired", _("Verification: expired without an answer")
    ESCALATED = "verification.escalated", _("Verification: escalated to the verification admins")
    DETAILS_CHANGED = "verification.details_changed", _("Verification: legal info changed")


# The audit type each case event writes (`services/core.record`); a case event type without one
# fails here, at import.
FOR_CASE_EVENT: dict[str, AuditType] = {
    case_type: AuditType(f"verification.{case_type}") for case_type in CaseEvent.Type
}
