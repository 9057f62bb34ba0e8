"""Who works with whom: providers' directory profiles, provider → reseller invitations and
relationships, reseller → customer invitations and relationships (shared with a provider), and
the orders a provider places for a shared customer.

Statuses change only in `relationships.services`, which also write the audit trail."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.choices import ChoiceLabels
from portal.models import CsvUpload, Organization, Region

# How long an invitation link stays valid, by invitation kind: the one validity table.
INVITATION_VALIDITY: dict[str, timedelta] = {
    "reseller": timedelta(days=14),
    "customer": timedelta(days=14),
}


class ProviderProfile(models.Model):
    """An indirect provider's entry in the Find a provider directory; the operator sets the CSP
    regions the provider is authorized in."""

    organization = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        related_name="provider_profile",
        limit_choices_to={"kind": Organization.Kind.PROVIDER},
        verbose_name=_("provider"),
    )
    regions = models.ManyToManyField(
        Region, related_name="provider_profiles", blank=True, verbose_name=_("CSP regions")
    )
    description = models.TextField(_("description"), max_length=600, blank=True)
    contact_email = models.EmailField(_("contact email"))
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["organization__legal_name"]
        verbose_name = _("provider profile")
        verbose_name_plural = _("provider profiles")

    def __str__(self) -> str:
        return str(self.organization)

    def clean(self) -> None:
        if self.organization_id and self.organization.kind != Organization.Kind.PROVIDER:
            raise ValidationError(
                {"organization": _("Only an indirect provider can have a directory profile.")}
            )


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class InvitationBase(ChoiceLabels, models.Model):
    """What every invitation has. Each kind adds `KIND` (its row in INVITATION_VALIDITY) and
    `organization`, the tenant that sent it."""

    # Annotations only, for the type checker: each kind assigns them (bare annotations are not
    # fields to Django, so no migration).
    KIND: ClassVar[str]
    organization: Organization
    organization_id: int

    key = models.CharField(max_length=64, unique=True, editable=False)
    email = models.EmailField(_("email"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    expires_at = models.DateTimeField(_("expires"))
    # The sender's choice on the form: the email's language when the address has no account
    # and no organization's language applies ("" for invitations sent before the choice).
    language = models.CharField(
        _("email language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    last_sent_at = models.DateTimeField(_("last sent"), default=timezone.now)
    # The invited address's domain as a `domain_path`, for the invited company's inbox.
    invitee_domain_path = models.CharField(max_length=255, default="", editable=False)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "status"]),
            # The pending list, soonest expiry first.
            models.Index(
                fields=["organization", "expires_at", "id"],
                condition=Q(status="pending"),
                name="%(class)s_pending",
            ),
            # The invited company's inbox: its domain and subdomains, newest first.
            models.Index(
                fields=["invitee_domain_path", "created_at"],
                name="%(class)s_invitee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} → {self.email}"

    @property
    def is_expired(self) -> bool:
        """A pending invitation past its expiry (its status turns `expired` on the next POST)."""
        return self.status == InvitationStatus.EXPIRED or (
            self.status == InvitationStatus.PENDING and self.expires_at <= timezone.now()
        )

    @property
    def effective_status(self) -> str:
        return InvitationStatus.EXPIRED if self.is_expired else self.status

    @property
    def effective_status_label(self) -> str:
        """What the invitation lists show: "Expired" for a pending one past its expiry."""
        return str(InvitationStatus(self.effective_status).label)


class ResellerInvitation(InvitationBase):
    """A provider's "Request a partnership" to a reseller admin's email."""

    KIND = "reseller"

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="reseller_invitations",
        verbose_name=_("provider"),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    partner_id = models.CharField(_("PartnerID"), max_length=12, blank=True)
    reseller = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(InvitationBase.Meta):
        verbose_name = _("reseller invitation")
        verbose_name_plural = _("reseller invitations")


class ProviderRelationship(ChoiceLabels, models.Model):
    """A reseller authorized a provider: the provider may place orders and add subscriptions for
    the customers the reseller shares with it, and (while `admin_access`) administer the
    reseller's account."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    provider = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="reseller_relationships"
    )
    reseller = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="provider_relationships"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    admin_access = models.BooleanField(_("admin access"), default=True)
    authorized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    authorized_at = models.DateTimeField(_("authorized"), default=timezone.now)
    invitation = models.OneToOneField(
        ResellerInvitation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="relationship",
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The reseller's legal name and primary domain, copied onto the provider's own rows so that
    # the Indirect resellers search tests each row without a join and without a look-up among
    # every organization. The database keeps them equal to the reseller's (triggers of
    # migration 0011, on insert, on any write of these columns and on the reseller's rename):
    # the ORM never writes them with a meaning of its own.
    reseller_name = models.CharField(max_length=200, editable=False, default="", db_default="")
    reseller_domain = models.CharField(max_length=253, editable=False, default="", db_default="")

    class Meta:
        ordering = ["-authorized_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "reseller"],
                condition=Q(status="active"),
                name="one_active_provider_relationship",
            ),
        ]
        indexes = [
            # Indirect resellers sorted by authorization date, either way.
            models.Index(fields=["provider", "authorized_at", "id"], name="provrel_provider_since"),
            # The default order: active first, newest first.
            models.Index(
                fields=["provider", "status", "-authorized_at", "-id"],
                name="provrel_provider_status",
            ),
        ]
        verbose_name = _("provider relationship")
        verbose_name_plural = _("provider relationships")

    def __str__(self) -> str:
        return f"{self.provider} ↔ {self.reseller}"


class RelationshipEvent(ChoiceLabels, models.Model):
    """Append-only history of a provider relationship, shown to both sides."""

    class Type(models.TextChoices):
        AUTHORIZED = "authorized", _("Provider authorized")
        ADMIN_ACCESS_REMOVED = "admin_access_removed", _("Admin access removed")
        ENDED = "ended", _("Relationship ended")

    relationship = models.ForeignKey(
        ProviderRelationship, on_delete=models.CASCADE, related_name="events"
    )
    type = models.CharField(max_length=32, choices=Type.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The latest changes of one organization (`relationship_events_for`): newest first
            # through its relationships, or across all events when it holds most of them.
            models.Index(fields=["relationship", "-created_at", "-id"], name="relevent_rel_newest"),
            models.Index(fields=["-created_at", "-id"], name="relevent_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.relationship})"


class CustomerInvitation(InvitationBase):
    """A reseller's "Invite new customers": one link authorizes the reseller and the chosen
    provider at once."""

    KIND = "customer"

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="customer_invitations",
        verbose_name=_("reseller"),
    )
    provider = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("provider")
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    company_name = models.CharField(_("company name"), max_length=200)
    # The reseller asks for granular admin roles (GDAP, `portal.policy.ACCEPTANCE_GDAP_ROLES`)
    # with the invitation; the customer approves them as it accepts, unless it unticks the box
    # (`customer_relationship_accepted`'s approve_gdap). The column keeps its DAP-era name: it
    # granted delegated admin access (DAP) before DAP was retired for new relationships.
    include_admin_access = models.BooleanField(_("include delegated admin access"), default=True)
    customer = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Not stored: what `customer_invitation_create` tells its sender about the address (it
    # belongs to a user of a customer organization), for the form's and the bulk file's result.
    addressee_note: str = ""

    class Meta(InvitationBase.Meta):
        verbose_name = _("customer invitation")
        verbose_name_plural = _("customer invitations")


class CustomerRelationship(ChoiceLabels, models.Model):
    """A customer accepted a reseller relationship with a reseller and one of its providers:
    the customer is shared with that provider.

    Active is its only status: the domain has no way for a customer relationship to end (a
    provider's "Remove partnership" leaves the reseller's customers in place). The column keeps
    the one-active constraint and the partial indexes ready for the day one comes, through a
    named transition in `services/customers.py` that writes its event."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")

    customer = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="customer_relationships"
    )
    reseller = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="reseller_customer_relationships"
    )
    provider = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="provider_customer_relationships"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    invitation = models.OneToOneField(
        CustomerInvitation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="relationship",
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "reseller", "provider"],
                condition=Q(status="active"),
                name="one_active_customer_relationship",
            ),
        ]
        indexes = [
            # A provider's customers, newest first (the page's default order).
            models.Index(
                fields=["provider", "-created_at", "-id"],
                condition=Q(status="active"),
                name="custrel_provider_recent",
            ),
            # Shared-customer counts per reseller, and the Customers page filtered by reseller.
            models.Index(
                fields=["provider", "reseller"],
                condition=Q(status="active"),
                name="custrel_provider_reseller",
            ),
        ]
        verbose_name = _("customer relationship")
        verbose_name_plural = _("customer relationships")

    def __str__(self) -> str:
        return f"{self.customer} via {self.reseller} / {self.provider}"


def domain_path(domain: str) -> str:
    """A domain's labels right to left, each followed by a dot: "eu.northwind.example" is
    "example.northwind.eu.". An organization's domain and every subdomain of it then share one
    prefix, which a btree index serves (`invitee_domain_path__startswith`)."""
    labels = [label for label in domain.lower().strip().rstrip(".").split(".") if label]
    return "".join(f"{label}." for label in reversed(labels))


class InvitationEvent(ChoiceLabels, models.Model):
    """Append-only lifecycle of an invitation (sent, resent, expired, revoked, accepted,
    declined), shown under Recent changes to the organization that sent it and to the company
    it is addressed to (by the invited address's domain)."""

    class Type(models.TextChoices):
        SENT = "sent", _("Invitation sent")
        RESENT = "resent", _("Invitation sent again")
        EXPIRED = "expired", _("Invitation expired")
        REVOKED = "revoked", _("Invitation revoked")
        ACCEPTED = "accepted", _("Invitation accepted")
        DECLINED = "declined", _("Invitation declined")

    kind = models.CharField(max_length=16)  # an invitation model's KIND
    reseller_invitation = models.ForeignKey(
        ResellerInvitation, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    customer_invitation = models.ForeignKey(
        CustomerInvitation, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    # The sender, and the invitee's domain: the two sides that read the event.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    invitee_domain_path = models.CharField(max_length=255)
    email = models.EmailField()
    type = models.CharField(max_length=16, choices=Type.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="invevent_sender"),
            models.Index(
                fields=["invitee_domain_path", "created_at"],
                name="invevent_invitee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.email})"


class BulkInvitationBatch(CsvUpload):
    """One uploaded CSV of invitations: checked on upload (a draft the sender reviews), then
    sent by a task in chunks. The counters are the progress page's state, so a reload shows
    where it is; `content_hash` keeps one organization from sending the same file twice."""

    class Kind(models.TextChoices):
        RESELLER = "reseller", _("Reseller invitations")
        CUSTOMER = "customer", _("Customer invitations")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Waiting for your confirmation")
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Sending")
        DONE = "done", _("Finished")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="bulk_invitation_batches"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    provider = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    content_hash = models.CharField(max_length=64)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    sent = models.PositiveIntegerField(default=0)
    not_sent = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The hour's invitations are sent and the rest waits for the limit's next window
    # (PORTAL_RATE_LIMITS): the beat sweep resumes the sending at this time.
    next_send_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "content_hash"],
                condition=~Q(status="draft"),
                name="one_confirmed_bulk_batch_per_file",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="bulk_org"),
            models.Index(
                fields=["next_send_at"],
                condition=Q(next_send_at__isnull=False),
                name="bulk_next_send",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.organization})"

    @property
    def waiting(self) -> int:
        """Rows still to send (neither sent nor refused yet)."""
        return self.to_send - self.processed

    @property
    def to_send(self) -> int:
        return self.valid_rows


class BulkInvitationRow(models.Model):
    """One data row of an uploaded file and what became of it."""

    class Status(models.TextChoices):
        INVALID = "invalid", _("Not sent: error in the file")
        WAITING = "waiting", _("Waiting")
        SENT = "sent", _("Sent")
        NOT_SENT = "not_sent", _("Not sent")

    batch = models.ForeignKey(BulkInvitationBatch, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(_("row"))  # the file's line number, header = 1
    email = models.CharField(_("email"), max_length=320, blank=True)
    partner_id = models.CharField(_("PartnerID"), max_length=64, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    status = models.CharField(_("result"), max_length=16, choices=Status.choices)
    message = models.TextField(_("reason"), blank=True)
    invitation_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["line"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line"], name="one_bulk_row_per_line")
        ]
        indexes = [models.Index(fields=["batch", "status", "line"], name="bulkrow_status")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line}"
