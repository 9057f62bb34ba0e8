"""The tenancy core: users, organizations (tenants), memberships with Partner Center roles,
reference data every app reads (CSP regions and markets, consumer mail domains), the audit log,
the email outbox and in-app notifications."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.countries import country_name, region_name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person; signs in with a work email address."""

    email = models.EmailField(_("email address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=50, blank=True)
    last_name = models.CharField(_("last name"), max_length=50, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class Region(models.Model):
    """A CSP region (Partner Center's regional authorization); editable by the operator."""

    name = models.CharField(_("name"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("CSP region")
        verbose_name_plural = _("CSP regions")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language."""
        return region_name(self.name)


class Market(models.Model):
    """A country (ISO 3166-1 alpha-2) where CSP partners sell, its region and billing currency."""

    code = models.CharField(_("country code"), max_length=2, primary_key=True)
    name = models.CharField(_("country"), max_length=80)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="markets")
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        ordering = ["name"]
        verbose_name = _("market")
        verbose_name_plural = _("markets")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The country's name in the active language (the `name` column is English)."""
        return country_name(self.code, self.name)


class ConsumerEmailDomain(models.Model):
    """Web-mail domains refused for work accounts and primary contacts.

    `pattern` is a domain (``gmail.com``) or a family with any country ending (``yahoo.*``
    matches yahoo.it and yahoo.co.uk)."""

    pattern = models.CharField(_("domain pattern"), max_length=100, unique=True)

    class Meta:
        ordering = ["pattern"]
        verbose_name = _("consumer email domain")
        verbose_name_plural = _("consumer email domains")

    def __str__(self) -> str:
        return self.pattern


class Organization(models.Model):
    """The tenant. Every tenant-owned row points here."""

    class Kind(models.TextChoices):
        RESELLER = "reseller", _("Indirect reseller")
        PROVIDER = "provider", _("Indirect provider")
        CUSTOMER = "customer", _("Customer")
        OPERATOR = "operator", _("Programme operator")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Enrolment not finished")
        SUBMITTED = "submitted", _("Submitted for verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        CLOSED = "closed", _("Closed")

    kind = models.CharField(_("account type"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    legal_name = models.CharField(_("legal name"), max_length=200)
    country = models.ForeignKey(
        Market,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("country"),
    )
    primary_domain = models.CharField(_("organization domain"), max_length=253)
    # The language of its emails to an address with no account yet (a user's own choice wins).
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    enrolled_at = models.DateTimeField(_("enrolment date"), null=True, blank=True)

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["primary_domain"],
                name="org_unique_domain",
                condition=~Q(status="closed"),
            ),
        ]
        indexes = [
            # The enrolment's case-insensitive look-ups (a domain already taken, a duplicate
            # company in the same country) without reading every organization.
            models.Index(Upper("primary_domain"), name="org_domain_upper"),
            models.Index(Upper("legal_name"), "country", name="org_name_upper_country"),
        ]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.legal_name

    @property
    def region_id(self) -> int | None:
        return self.country.region_id if self.country else None


class Role(models.TextChoices):
    """Partner Center roles (DOMAIN.md). Each maps to a boolean on Membership."""

    GLOBAL_ADMIN = "global_admin", _("Global admin")
    ADMIN_AGENT = "admin_agent", _("Admin agent")
    SALES_AGENT = "sales_agent", _("Sales agent")
    HELPDESK_AGENT = "helpdesk_agent", _("Helpdesk agent")
    BILLING_ADMIN = "billing_admin", _("Billing admin")
    VERIFICATION_ADMIN = "verification_admin", _("Verification admin")


class DelegatedRole(models.TextChoices):
    """Roles a partner holds in a customer's account without being its member (DOMAIN.md, "What
    an authorization grants"): delegated admin access (DAP) and the granular, time-bound admin
    roles a customer approves (GDAP). No column: `portal.delegation` resolves them per request,
    and `portal.policy.RULES` lists what each allows, like any other role."""

    DELEGATED_ADMIN = "delegated_admin", _("Delegated admin (DAP)")
    USER_ADMINISTRATOR = "user_administrator", _("User administrator")
    HELPDESK_ADMINISTRATOR = "helpdesk_administrator", _("Helpdesk administrator")
    LICENSE_ADMINISTRATOR = "license_administrator", _("License administrator")
    BILLING_READER = "billing_reader", _("Billing reader")


class Membership(models.Model):
    """A user's place in an organization; a user may hold several roles.

    `portal.delegation.delegated_membership()` builds an unsaved one for a partner's agent who
    administers a customer on its behalf: `delegated_by` is the partner and `delegated_roles`
    replace the role columns. The attributes below are no columns: they describe how an unsaved
    membership acts, and default to a stored one's."""

    delegated_by: Organization | None = None
    delegated_roles: frozenset[str] | None = None
    # A delegated membership's first end date (None: until someone removes the access).
    delegated_until: datetime | None = None
    # Built for an API client (`api.authentication.client_membership`, or its acting for a
    # customer): the audit names the client, not the user (see `acting_user`).
    for_api_client: bool = False
    # Built for a partner in a customer's account (`portal.delegation.partner_delegated_membership`,
    # an API client's `Act-As-Customer`): its grant is checked again against the partner sources.
    delegated_as_partner: bool = False

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    global_admin = models.BooleanField(Role.GLOBAL_ADMIN.label, default=False)
    admin_agent = models.BooleanField(Role.ADMIN_AGENT.label, default=False)
    sales_agent = models.BooleanField(Role.SALES_AGENT.label, default=False)
    helpdesk_agent = models.BooleanField(Role.HELPDESK_AGENT.label, default=False)
    billing_admin = models.BooleanField(Role.BILLING_ADMIN.label, default=False)
    verification_admin = models.BooleanField(Role.VERIFICATION_ADMIN.label, default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique"),
        ]
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization}"

    @property
    def is_delegated(self) -> bool:
        return self.delegated_by is not None

    @property
    def acting_user(self) -> User | None:
        """The person acting through this membership; None for one built for an API client
        (`api.authentication.client_membership`, or its acting for a customer), which the audit
        log names instead: its user is only the client's creator, on record as an invitation's
        sender."""
        if self.user_id is None or self.for_api_client:
            return None
        return self.user

    @property
    def roles(self) -> set[str]:
        if self.delegated_roles is not None:
            return set(self.delegated_roles)
        return {role for role in Role if getattr(self, role.value)}

    def role_codes(self) -> list[str]:
        """The roles as stored codes (what an audit event keeps; worded when read)."""
        if self.delegated_roles is not None:
            return [role.value for role in DelegatedRole if role in self.delegated_roles]
        return [role.value for role in Role if getattr(self, role.value)]

    def role_labels(self) -> list[str]:
        if self.delegated_roles is not None:
            return [str(role.label) for role in DelegatedRole if role in self.delegated_roles]
        return [str(role.label) for role in Role if getattr(self, role.value)]


class AuditEvent(models.Model):
    """Append-only log of every status change and sensitive action."""

    # db_index=False: the audit_org_* indexes lead with it.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="audit_events",
        db_index=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The organization the actor acted for (a provider's agent in a reseller's account, a
    # verification admin in a partner's); the audit log says so when it is not `organization`.
    actor_organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The actor was a partner's agent administering this customer on its behalf (delegated
    # admin, `portal.delegation`): `actor_organization` is that partner.
    delegated = models.BooleanField(default=False)
    # Codes of the apps' `events.py`, registered in `portal.audit` (which gives their labels).
    type = models.CharField(max_length=64)
    details = models.JSONField(default=dict, blank=True)
    # The client's address (`portal.client_ip`) when a request caused the event.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The audit log: one organization's events newest first, pages by (created_at, id).
            models.Index(fields=["organization", "-created_at", "-id"], name="audit_org_newest"),
            # Its filters by event type and by person, which a rare value would otherwise make a
            # walk through every event of the organization.
            models.Index(
                fields=["organization", "type", "-created_at", "-id"], name="audit_org_type_newest"
            ),
            models.Index(
                fields=["organization", "actor", "-created_at", "-id"],
                name="audit_org_actor_newest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} @ {self.created_at:%Y-%m-%d %H:%M}"


class OutboxMessage(models.Model):
    """An email, written in the transaction of the change that causes it and sent by a worker.

    `idempotency_key` is unique: writing the same message twice keeps one row, and a row with
    `sent_at` set is never sent again."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")

    idempotency_key = models.CharField(max_length=200, unique=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_email = models.EmailField(_("to"))
    template = models.CharField(_("template"), max_length=120)
    language = models.CharField(_("language"), max_length=8, default="en")
    context = models.JSONField(default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to_email}"


class Heartbeat(models.Model):
    """When a process kind (the Celery worker, beat) last showed it is alive: one row each,
    updated in place (portal/operations.py)."""

    name = models.CharField(max_length=40, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """An in-app notice for an organization's admins (dashboard list)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="notifications"
    )
    # What the notice says: `code` (an English msgid) and `params`, worded when read (see
    # portal/notices.py); `message` is the English text, and all that rows written before the
    # codes have.
    code = models.CharField(max_length=300, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=300)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return self.message

    @property
    def text(self) -> str:
        """The notice in the active language."""
        from .notices import notice_text

        return notice_text(self.code, self.params, self.message)


class CsvUpload(models.Model):
    """What every uploaded CSV file keeps (a feature app's bulk file: invitations, usage): its
    name, how it was read, and the counters its progress page shows. Rows refused on upload
    (their shape) are `invalid_rows`; the others are processed by a task, `processed` counting
    them. The model adds its status, who uploaded it, when, and its own results."""

    filename = models.CharField(_("file"), max_length=255)
    # How the file was read (portal.csv_import: "utf-8-sig", ";").
    encoding = models.CharField(max_length=16, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)  # refused on upload (shape)
    processed = models.PositiveIntegerField(default=0)  # of the valid rows
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def valid_rows(self) -> int:
        """The rows the task processes (all but those refused on upload)."""
        return self.total_rows - self.invalid_rows

    @property
    def percent(self) -> int:
        return round(100 * self.processed / self.valid_rows) if self.valid_rows else 100

    @property
    def read_as(self) -> str:
        """ "UTF-8 with BOM, semicolon-separated"; empty for a file stored before it was said."""
        from portal.csv_import import read_as

        return read_as(self.encoding, self.delimiter) if self.encoding else ""


class Export(models.Model):
    """A CSV export too large to stream in one request, prepared by a worker (`portal.exports`).

    The row is the state the pages read: a worker writes the file to a temporary file, puts it
    in private storage and only then marks the row done, so a row marked done always has a
    complete file. `params` are the list's filters as the list page read them (key → values)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Being prepared")
        DONE = "done", _("Ready to download")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired (file deleted)")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    # The rows the export will hold, counted when the worker starts (for the progress bar).
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    file_name = models.CharField(max_length=300, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    failure = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set by the worker at every progress write: a running row whose heartbeat stops was
    # abandoned by a worker that died (the sweep marks it failed).
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "kind", "-created_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} export {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


class FormSubmission(models.Model):
    """A one-time form token used: the first POST of a creating form (an order, an invitation,
    a GDAP request, a bulk file's sending, a new user) records here, in the transaction that
    created the thing, which token of which person in which organization made it and where the
    result is. A repeat of that POST (Back and submit again, a double click) finds the row and
    is shown that result instead of creating a second one (`portal.form_tokens`)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # What the form creates ("commerce.order"): a token is good for the form it came with.
    purpose = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    # Where the first result is shown (a path of this site).
    result_url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            # The lock a concurrent double submit waits on: the second insert blocks until the
            # first transaction ends, then fails and reads the first result.
            models.UniqueConstraint(
                fields=["organization", "user", "purpose", "key"], name="form_submission_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.key[:8]}… → {self.result_url}"
