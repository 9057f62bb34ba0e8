"""Audit event types of the core (registered with `portal.audit` in `PortalConfig.ready()`).
The codes are stored: never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditType(models.TextChoices):
    # The operator's staff, from the operations page.
    EMAIL_RETRY_REQUESTED = "portal.email.retry_requested", _("Failed email sent again")
    EMAILS_RETRY_REQUESTED = (
        "portal.emails.retry_requested",
        _("All failed emails sent again"),
    )
