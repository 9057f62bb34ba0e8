"""Audit event types of delegated admin (registered with `portal.audit` in
`DelegationConfig.ready()`). The codes are stored: never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditType(models.TextChoices):
    ADMIN_ACCESS_GRANTED = (
        "delegation.admin_access.granted",
        _("Delegated admin access granted"),
    )
    ADMIN_ACCESS_REMOVED = (
        "delegation.admin_access.removed",
        _("Delegated admin access removed"),
    )
    ADMINISTRATION_STARTED = (
        "delegation.administration.started",
        _("Administration on behalf of a customer started"),
    )
    # GDAP
    GDAP_REQUESTED = "delegation.gdap.requested", _("Granular admin roles requested")
    GDAP_APPROVED = "delegation.gdap.approved", _("Granular admin roles approved")
    GDAP_DECLINED = "delegation.gdap.declined", _("Granular admin roles declined")
    GDAP_REQUEST_EXPIRED = (
        "delegation.gdap.request_expired",
        _("Granular admin request expired unanswered"),
    )
    GDAP_ENDED = "delegation.gdap.ended", _("Granular admin roles ended")
    GDAP_EXTENDED = "delegation.gdap.extended", _("Granular admin roles auto-extended")
    GDAP_WARNING_SENT = (
        "delegation.gdap.warning_sent",
        _("Granular admin roles ending soon: warning sent"),
    )
