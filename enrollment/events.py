"""Audit event types of enrolment, the account settings it owns and the agreement (registered
with `portal.audit` in `EnrollmentConfig.ready()`). The codes are stored: never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditType(models.TextChoices):
    ENROLLMENT_STARTED = "enrollment.started", _("Enrolment started")
    ORGANIZATION_SUBMITTED = "organization.submitted", _("Enrolment submitted")
    LEGAL_PROFILE_UPDATED = "legal_profile.updated", _("Legal info changed")
    PARTNER_ID_ADDED = "partner_id.added", _("PartnerID added")
    PARTNER_ID_ASSOCIATED = "partner_id.associated", _("Associated PartnerID changed")
    LEGACY_ACCOUNT_LINKED = "legacy_account.linked", _("Existing membership account linked")
    AGREEMENT_ACCEPTED = "agreement.accepted", _("Partner Agreement accepted")
    MEMBERSHIP_ADDED = "membership.added", _("User added")
    MEMBERSHIP_ROLES_CHANGED = "membership.roles_changed", _("User's roles changed")
    MEMBERSHIP_REMOVED = "membership.removed", _("User removed")
    MEMBERSHIP_PASSWORD_RESET = "membership.password_reset", _("Password reset sent to a user")
