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


class ApiCall(models.Model):
    """One /api/v1/ call by an authenticated client, whatever its answer (a read, a write, a
    404, a 429): the call log of Settings → API clients. Not written by the call itself: the
    call appends a packed record to a Redis list (one RPUSH), which a beat task drains into this
    table in batches (api/call_log.py); `call_id` makes a record inserted twice one row."""

    call_id = models.UUIDField(unique=True)
    # The client may be deleted with its organization's data; the label keeps what it was.
    # db_index=False here and on organization: apicall_client and apicall_org lead with them.
    client = models.ForeignKey(
        ApiClient, on_delete=models.SET_NULL, null=True, related_name="calls", db_index=False
    )
    client_label = models.CharField(max_length=200)
    # The client's organization, and the customer it acted for (Act-As-Customer), if any.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    acting_for = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # apicall_acting_for: only the calls that acted for a customer
    )
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.FloatField()
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="apicall_org"),
            models.Index(fields=["client", "-created_at", "-id"], name="apicall_client"),
            # The retention sweep's range (API_CALL_RETENTION_DAYS).
            models.Index(fields=["created_at"], name="apicall_created"),
            models.Index(
                fields=["acting_for"],
                name="apicall_acting_for",
                condition=models.Q(acting_for__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
