from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditType(models.TextChoices):
    API_CLIENT_CREATED = "api.client_created", _("API client created")
    API_CLIENT_REVOKED = "api.client_revoked", _("API client revoked")
    API_TOKEN_ISSUED = "api.token_issued", _("API access token issued")
