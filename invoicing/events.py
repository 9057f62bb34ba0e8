"""Audit event types of invoicing (registered with `portal.audit` in `InvoicingConfig.ready()`).
The codes are stored: never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditType(models.TextChoices):
    USAGE_FILE_UPLOADED = "invoicing.usage_file.uploaded", _("Usage file uploaded")
    USAGE_FILE_IMPORTED = "invoicing.usage_file.imported", _("Usage file imported")
