"""Verification of a newly enrolled reseller: one case per organization, its append-only events,
the automated check results, the primary contact's confirmation links, requests for more
information and the documents the partner uploads."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.choices import ChoiceLabels
from portal.models import Organization

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


# The verification team's words for the statuses that name whom a case waits on ("your primary
# contact" is the partner's view); the others read the same on both sides.
REVIEWER_STATUS_LABELS = {
    "email_pending": _("Waiting for the partner's primary contact"),
    "checking": _("Automated checks running"),
    "in_review": _("In review"),
    "info_requested": _("Waiting for the partner's documents"),
    "expired": _("Expired: no answer from the partner"),
}

WAITING_ON_FOR_REVIEWERS = {
    "email_pending": _("The partner's primary contact"),
    "checking": _("Automated checks"),
    "info_requested": _("The partner"),
}


# The columns a case's progress writes, after its status, assignee and decision reason: one list
# for the services' update_fields and the scale data's columns.
CASE_PROGRESS_FIELDS = (
    "waiting_since",
    "next_action_at",
    "next_action",
    "reminders_sent",
    "escalated_at",
    "decided_at",
    "version",
    "updated_at",
)


class VerificationCase(ChoiceLabels, models.Model):
    class Status(models.TextChoices):
        # The labels are the words the partner sees (DOMAIN.md).
        EMAIL_PENDING = "email_pending", _("Waiting for your primary contact")
        CHECKING = "checking", _("Checking your details")
        IN_REVIEW = "in_review", _("In review")
        INFO_REQUESTED = "info_requested", _("More information needed")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn by the primary contact")
        EXPIRED = "expired", _("Expired")

    class RejectReason(models.TextChoices):
        UNVERIFIABLE_BUSINESS = "unverifiable_business", _("We could not verify the business")
        CONTACT_NOT_AUTHORIZED = (
            "contact_not_authorized",
            _("The primary contact is not authorized for the company"),
        )
        DOMAIN_MISMATCH = "domain_mismatch", _("The email domain does not match the company")
        DUPLICATE_ACCOUNT = "duplicate_account", _("The company already has an account")
        SANCTIONED_OR_RESTRICTED = (
            "sanctioned_or_restricted",
            _("The company is in a sanctioned or restricted market"),
        )
        DOCUMENTS_INSUFFICIENT = (
            "documents_insufficient",
            _("The documents do not prove the company's details"),
        )
        OTHER = "other", _("Other reason")

    class NextAction(models.TextChoices):
        REMIND = "remind", _("Remind the partner")
        EXPIRE = "expire", _("Expire the case")
        ESCALATE = "escalate", _("Escalate to the verification admins")
        RUN_CHECKS = "run_checks", _("Run the automated checks")

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="verification_case"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.EMAIL_PENDING
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    reject_reason = models.CharField(
        _("reason"), max_length=32, choices=RejectReason.choices, blank=True
    )
    reject_note = models.TextField(_("note"), blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    # When the current wait began (on the partner or on the reviewers): ages and SLAs start here.
    waiting_since = models.DateTimeField(_("waiting since"), default=timezone.now)
    next_action_at = models.DateTimeField(null=True, blank=True, db_index=True)
    next_action = models.CharField(max_length=16, choices=NextAction.choices, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # Bumped by every transition: a reviewer's form carries it, a stale one is a conflict.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    # Not columns: the review queue (ReviewQueueView) sets these on the rows of its page.
    sla: str
    sla_label: StrOrPromise
    age_days: int

    class Meta:
        ordering = ["waiting_since", "pk"]
        indexes = [
            # One status, in waiting order (the queue filtered by status; per-status counts).
            models.Index(fields=["status", "waiting_since", "id"], name="vcase_status_waiting"),
            # Every open status in waiting order (the queue's default list); the status is in
            # the key so that the age chart counts from the index alone.
            models.Index(
                fields=["waiting_since", "id", "status"],
                condition=models.Q(
                    status__in=["email_pending", "checking", "in_review", "info_requested"]
                ),
                name="vcase_open_waiting",
            ),
        ]
        verbose_name = _("verification case")
        verbose_name_plural = _("verification cases")

    def __str__(self) -> str:
        return f"Verification of {self.organization_id} ({self.status})"

    @classmethod
    def reviewer_label(cls, status: str) -> StrOrPromise:
        """The status in the verification team's words: who the case waits on, seen from the
        operator's side (the choices' labels are the partner's words)."""
        return REVIEWER_STATUS_LABELS.get(status) or cls.Status(status).label

    def get_reviewer_status_display(self) -> StrOrPromise:
        return self.reviewer_label(self.status)

    @property
    def reviewer_waiting_on(self) -> StrOrPromise:
        """Whom the case waits on, in the verification team's words."""
        assignee = self.assignee.get_full_name() if self.assignee is not None else None
        return self.reviewer_waiting_on_for(self.status, assignee)

    @classmethod
    def reviewer_waiting_on_for(cls, status: str, assignee_name: str | None) -> StrOrPromise:
        """`reviewer_waiting_on` from a status and the assignee's full name (None: nobody),
        for the queue's rows, read as values."""
        if status == cls.Status.IN_REVIEW:
            if assignee_name is not None:
                return assignee_name
            return _("A reviewer (unassigned)")
        return WAITING_ON_FOR_REVIEWERS.get(status, "—")


# The sets of statuses the rules speak of: services, views, selectors and the dashboard panels
# all read them from here.
Status = VerificationCase.Status
# The case waits on the partner (its primary contact, or documents asked for).
PARTNER_WAIT_STATUSES = frozenset({Status.EMAIL_PENDING, Status.INFO_REQUESTED})
# The case waits on the operator (the automated checks, then a reviewer).
REVIEWER_WAIT_STATUSES = frozenset({Status.CHECKING, Status.IN_REVIEW})
# Not decided yet: in the review queue.
OPEN_STATUSES = PARTNER_WAIT_STATUSES | REVIEWER_WAIT_STATUSES
# A reviewer may reject the case (or ask again for documents).
REJECTABLE_STATUSES = frozenset({Status.IN_REVIEW, Status.INFO_REQUESTED})
# The partner may upload documents.
UPLOAD_STATUSES = frozenset({Status.INFO_REQUESTED, Status.REJECTED, Status.IN_REVIEW})
# The partner may name another primary contact (the first never confirmed).
CONTACT_CHANGE_STATUSES = frozenset({Status.EMAIL_PENDING, Status.WITHDRAWN, Status.EXPIRED})


class CaseEvent(ChoiceLabels, models.Model):
    """Append-only history of a case; the partner timeline and the reviewer history read it."""

    class Type(models.TextChoices):
        OPENED = "opened", _("Enrolment submitted")
        CONTACT_EMAILED = "contact_emailed", _("Confirmation email sent to the primary contact")
        CONTACT_CONFIRMED = "contact_confirmed", _("Primary contact confirmed")
        CONTACT_DENIED = "contact_denied", _("Primary contact said it wasn't them")
        CONTACT_CHANGED = "contact_changed", _("Primary contact changed")
        CHECKS_COMPLETED = "checks_completed", _("Automated checks completed")
        CLAIMED = "claimed", _("Case assigned")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        INFO_REQUESTED = "info_requested", _("More information requested")
        INFO_SUBMITTED = "info_submitted", _("Documents uploaded")
        REMINDED = "reminded", _("Reminder sent")
        EXPIRED = "expired", _("Expired without an answer")
        ESCALATED = "escalated", _("Escalated to the verification admins")
        DETAILS_CHANGED = "details_changed", _("Legal info changed")

    case = models.ForeignKey(VerificationCase, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=32, choices=Type.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.type} @ {self.created_at:%Y-%m-%d %H:%M}"


class CheckResult(ChoiceLabels, models.Model):
    class Name(models.TextChoices):
        EMAIL_DOMAIN = "email_domain", _("Email domain matches the organization")
        NOT_CONSUMER = "not_consumer", _("Not a consumer email domain")
        NO_DUPLICATE = "no_duplicate", _("No duplicate organization")
        CSP_MARKET = "csp_market", _("Country is a CSP market")
        PARTNER_ID_COUNTRY = "partner_id_country", _("Associated PartnerID country matches")

    case = models.ForeignKey(VerificationCase, on_delete=models.CASCADE, related_name="checks")
    name = models.CharField(max_length=32, choices=Name.choices)
    passed = models.BooleanField()
    evidence = models.JSONField(default=dict, blank=True)
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "name"], name="one_result_per_check"),
        ]
        indexes = [
            # The queue's "failing check" filter and its rows' failing checks: the few failed
            # results only, read from the index.
            models.Index(
                fields=["case", "name"], condition=models.Q(passed=False), name="check_failed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {'passed' if self.passed else 'failed'}"

    @property
    def evidence_sentences(self) -> list[str]:
        """The evidence worded for the reviewer, in the active language."""
        from .evidence import evidence_sentences

        return evidence_sentences(self.name, self.evidence)


class ContactConfirmation(models.Model):
    """A single-use, expiring link for the primary contact. Only the SHA-256 of the key is
    stored; the key itself exists only in the email."""

    case = models.ForeignKey(
        VerificationCase, on_delete=models.CASCADE, related_name="confirmations"
    )
    email = models.EmailField()
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Confirmation link for {self.email}"


class DocumentType(models.TextChoices):
    REGISTRATION_CERTIFICATE = "registration_certificate", _("Business registration certificate")
    PROOF_OF_ADDRESS = "proof_of_address", _("Proof of address (utility bill or bank statement)")
    AUTHORIZATION_LETTER = "authorization_letter", _("Letter of authorization for the contact")
    TAX_REGISTRATION = "tax_registration", _("VAT or tax registration")


class InfoRequest(ChoiceLabels, models.Model):
    case = models.ForeignKey(
        VerificationCase, on_delete=models.CASCADE, related_name="info_requests"
    )
    document_types = models.JSONField(_("documents requested"), default=list)
    message = models.TextField(_("message"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Request on case {self.case_id}"

    def document_type_labels(self) -> list[str]:
        labels = dict(DocumentType.choices)
        return [str(labels.get(code, code)) for code in self.document_types]


def _document_path(instance: Document, filename: str) -> str:
    # Never the uploaded name: a random one under the case, outside any public URL.
    return f"verification/{instance.case_id}/{uuid.uuid4().hex}"


class Document(ChoiceLabels, models.Model):
    ALLOWED_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
    MAX_BYTES = 5 * 1024 * 1024

    case = models.ForeignKey(VerificationCase, on_delete=models.CASCADE, related_name="documents")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="verification_documents"
    )
    info_request = models.ForeignKey(
        InfoRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents"
    )
    document_type = models.CharField(
        _("document type"), max_length=32, choices=DocumentType.choices
    )
    comment = models.TextField(_("comment"), blank=True)
    file = models.FileField(upload_to=_document_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def download_name(self) -> str:
        return f"document-{self.pk}.{self.ALLOWED_TYPES.get(self.content_type, 'bin')}"
