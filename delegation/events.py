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
