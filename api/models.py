"""An organization's API client: an OAuth2 application (django-oauth-toolkit, client
credentials, its secret stored hashed) that acts as the organization with the roles it was
given, until it expires or is revoked."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import Application

from portal.models import Organization, Role


class ApiClient(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_clients"
    )
    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="api_client"
    )
    name = models.CharField(_("name"), max_length=100)
    # Role codes of the policy table (portal.policy.RULES): the calls are checked as a member
    # holding exactly these roles. They are the OAuth2 scopes the client may ask for, too.
    roles = models.JSONField(_("roles"), default=list)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="apiclient_org")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def client_id(self) -> str:
        return self.application.client_id

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now

    def role_labels(self) -> list[str]:
        return [str(role.label) for role in Role if role.value in self.roles]

    @property
    def label(self) -> str:
        """How the audit log names the client: "API client <name> (<client id>)"."""
        return f"{self.name} ({self.application.client_id})"


class IdempotencyKey(models.Model):
    """The first result of a POST sent with an `Idempotency-Key` (api/idempotency.py): a repeat
    within IDEMPOTENCY_TTL gets it again. One row per client and key (the unique constraint is
    the lock two concurrent first requests meet)."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    # SHA-256 of the method, path and body (JSON bodies compared by content, not by layout).
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_client_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"
