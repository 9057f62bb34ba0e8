"""Delegated admin: a partner acting in a customer's account.

- `AdminAccess` (DAP, the seed's model): a customer relationship gives the reseller and its
  provider admin access to the customer's account; the reseller (for its provider) or the
  customer's Global admin removes it, and it ends on the next request.
- `GdapRelationship` (Partner Center's current model): a partner's Admin agent asks for named
  roles for a duration; the customer's Global admin approves or declines; it ends on its date
  unless auto-extended, or earlier by either side.

Both are read per request by the source registered with `portal.delegation`; statuses change only
through `delegation.services`, each change audited in both organizations' logs."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import DelegatedRole, Organization

GDAP_MIN_DURATION = timedelta(days=1)
GDAP_MAX_DURATION = timedelta(days=730)
GDAP_REQUEST_VALIDITY = timedelta(days=90)
GDAP_AUTO_EXTEND = timedelta(days=180)
GDAP_WARNING_DAYS = (30, 7)

# The roles a GDAP request may name (DAP's delegated admin is not requested, it is granted).
GDAP_ROLES = [
    DelegatedRole.USER_ADMINISTRATOR,
    DelegatedRole.HELPDESK_ADMINISTRATOR,
    DelegatedRole.LICENSE_ADMINISTRATOR,
    DelegatedRole.BILLING_READER,
]


class AdminAccess(models.Model):
    """DAP: `partner` (the reseller, or its provider) administers `customer`'s account."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REMOVED = "removed", _("Removed")

    customer = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # The reseller through which the customer relationship was accepted.
    reseller = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    removed_by_organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "partner"],
                condition=Q(status="active"),
                name="adminaccess_one_active",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "customer"], name="adminaccess_partner"),
        ]
        verbose_name = _("delegated admin access")
        verbose_name_plural = _("delegated admin access")

    def __str__(self) -> str:
        return f"{self.partner} → {self.customer}"


class GdapRelationship(models.Model):
    """GDAP: named roles `partner` asked for in `customer`'s account, for `duration_days`."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        ACTIVE = "active", _("Active")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")  # a request nobody answered in 90 days
        ENDED = "ended", _("Ended")  # reached its end date, or ended early by either side

    key = models.CharField(max_length=64, unique=True, editable=False)
    customer = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=50)
    # DelegatedRole values, in GDAP_ROLES order.
    roles = models.JSONField(_("roles"), default=list)
    duration_days = models.PositiveIntegerField(_("duration (days)"))
    auto_extend = models.BooleanField(_("auto-extend by 180 days"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    request_expires_at = models.DateTimeField(_("request expires"))
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_by_organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Expiry warnings already sent (days before the end: 30, 7), so none is sent twice.
    warnings_sent = models.JSONField(default=list, blank=True)
    # When the beat sweep next looks at it: the request's expiry, the next warning or the end.
    next_action_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["customer", "status"], name="gdap_customer"),
            models.Index(fields=["partner", "customer", "status"], name="gdap_partner"),
            models.Index(
                fields=["next_action_at"],
                condition=Q(next_action_at__isnull=False),
                name="gdap_due",
            ),
        ]
        verbose_name = _("granular admin relationship")
        verbose_name_plural = _("granular admin relationships")

    def __str__(self) -> str:
        return f"{self.name}: {self.partner} → {self.customer}"

    def role_labels(self) -> list[str]:
        return [str(role.label) for role in GDAP_ROLES if role in self.roles]
