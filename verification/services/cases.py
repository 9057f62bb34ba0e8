"""Opening a case and the reviewers' transitions (claim, assign, approve, reject, request more
information) and the partner's answer to a request."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.audit import audit_record
from portal.models import Organization, User
from portal.policy import Action, require_member

from ..emails import email_primary_contact, notify_partner
from ..events import AuditType
from ..models import (
    OPEN_STATUSES,
    REJECTABLE_STATUSES,
    CaseEvent,
    DocumentType,
    InfoRequest,
    VerificationCase,
)
from .contact import confirmation_email_context, contact_link_issue
from .core import EXPIRY_DAYS, ensure_status, lock_case, record, schedule_next

Status = VerificationCase.Status
Event = CaseEvent.Type


def case_open(*, actor: User | None, organization: Organization) -> VerificationCase:
    """Open the organization's case (once) and email the primary contact a confirmation link."""
    with transaction.atomic():
        existing = (
            VerificationCase.objects.select_for_update().filter(organization=organization).first()
        )
        if existing is not None:
            return existing
        now = timezone.now()
        case = VerificationCase(
            organization=organization,
            status=Status.EMAIL_PENDING,
            opened_at=now,
            waiting_since=now,
            updated_at=now,
        )
        schedule_next(case, now)
        case.full_clean(exclude=["assignee"])
        case.save()
        profile = organization.legal_profile
        key = contact_link_issue(case=case, email=profile.primary_contact_email, now=now)
        event = CaseEvent.objects.create(
            case=case,
            type=Event.OPENED,
            actor=actor,
            to_status=Status.EMAIL_PENDING,
            details={"contact_email": profile.primary_contact_email},
            created_at=now,
        )
        audit_record(
            type=AuditType.OPENED,
            organization=organization,
            actor=actor,
            case=case.pk,
            to_status=Status.EMAIL_PENDING,
        )
        email_primary_contact(
            case=case,
            event=event,
            template="verification_contact_confirm",
            context=confirmation_email_context(key),
        )
        notify_partner(case=case, status_label=Status.EMAIL_PENDING.label)
        return case


def case_claim(
    *, actor: User, case: VerificationCase, expected_version: int | None = None
) -> VerificationCase:
    """The reviewer takes the case."""
    return case_assign(case=case, actor=actor, assignee=actor, expected_version=expected_version)


def case_assign(
    *,
    actor: User,
    case: VerificationCase,
    assignee: User,
    expected_version: int | None = None,
) -> VerificationCase:
    require_member(actor=actor, organization=None, action=Action.REVIEW_VERIFICATION)
    # A case is assigned only to someone who may review it.
    require_member(actor=assignee, organization=None, action=Action.REVIEW_VERIFICATION)
    with transaction.atomic():
        case = lock_case(case)
        ensure_status(case, OPEN_STATUSES, expected_version)
        case.assignee = assignee
        record(
            case=case,
            event_type=Event.CLAIMED,
            actor=actor,
            details={"assignee": assignee.email},
        )
    return case


def case_approve(
    *,
    actor: User,
    case: VerificationCase,
    note: str = "",
    expected_version: int | None = None,
) -> VerificationCase:
    require_member(actor=actor, organization=None, action=Action.REVIEW_VERIFICATION)
    with transaction.atomic():
        case = lock_case(case)
        ensure_status(case, {Status.IN_REVIEW}, expected_version)
        case.decided_at = timezone.now()
        if case.assignee_id is None:
            case.assignee = actor
        record(
            case=case,
            event_type=Event.APPROVED,
            actor=actor,
            to_status=Status.VERIFIED,
            details={"note": note} if note else {},
            email="verification_verified",
        )
    return case


def case_reject(
    *,
    actor: User,
    case: VerificationCase,
    reason: str,
    note: str = "",
    expected_version: int | None = None,
) -> VerificationCase:
    require_member(actor=actor, organization=None, action=Action.REVIEW_VERIFICATION)
    if reason not in VerificationCase.RejectReason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    with transaction.atomic():
        case = lock_case(case)
        ensure_status(case, REJECTABLE_STATUSES, expected_version)
        case.decided_at = timezone.now()
        case.reject_reason, case.reject_note = reason, note
        if case.assignee_id is None:
            case.assignee = actor
        record(
            case=case,
            event_type=Event.REJECTED,
            actor=actor,
            to_status=Status.REJECTED,
            details={"reason": reason, "note": note},
            email="verification_rejected",
            email_context={
                "reason": VerificationCase.RejectReason(reason).label,
                "note": note,
            },
        )
    return case


def case_request_info(
    *,
    actor: User,
    case: VerificationCase,
    document_types: list[str],
    message: str,
    expected_version: int | None = None,
) -> InfoRequest:
    require_member(actor=actor, organization=None, action=Action.REVIEW_VERIFICATION)
    unknown = set(document_types) - set(DocumentType.values)
    if not document_types or unknown:
        raise ValidationError({"document_types": _("Choose at least one document type.")})
    if not message.strip():
        raise ValidationError({"message": _("Tell the partner what you need.")})
    with transaction.atomic():
        case = lock_case(case)
        ensure_status(case, {Status.IN_REVIEW}, expected_version)
        request = InfoRequest.objects.create(
            case=case, document_types=document_types, message=message, requested_by=actor
        )
        if case.assignee_id is None:
            case.assignee = actor
        record(
            case=case,
            event_type=Event.INFO_REQUESTED,
            actor=actor,
            to_status=Status.INFO_REQUESTED,
            details={"document_types": document_types, "message": message},
            email="verification_info_requested",
            email_context={
                "documents": ", ".join(request.document_type_labels()),
                "message": message,
                "expiry_days": EXPIRY_DAYS,
            },
        )
    return request


def case_details_changed(
    *, actor: User, organization: Organization, fields: list[str]
) -> VerificationCase | None:
    """A Global admin changed the legal info. A decided case goes back to review for what
    changed (a verified organization stays verified meanwhile, so its business goes on); an
    open case records the change so the reviewer sees it. Call inside the edit's transaction."""
    case = VerificationCase.objects.filter(organization=organization).first()
    if case is None:
        return None
    with transaction.atomic():
        case = lock_case(case)
        details = {"fields": sorted(fields)}
        if case.status in {Status.VERIFIED, Status.REJECTED}:
            verified = case.status == Status.VERIFIED
            case.reject_reason, case.reject_note, case.decided_at = "", "", None
            record(
                case=case,
                event_type=Event.DETAILS_CHANGED,
                actor=actor,
                to_status=Status.IN_REVIEW,
                details=details,
                email="verification_details_changed",
                keep_organization_status=verified,
            )
        elif case.status in OPEN_STATUSES:
            record(case=case, event_type=Event.DETAILS_CHANGED, actor=actor, details=details)
    return case


def case_info_submitted(
    *, actor: User, case: VerificationCase, document_ids: list[int]
) -> VerificationCase:
    """The partner answered (a request, or a rejection with "Fix now"): back to the queue.
    Call inside the transaction that stored the documents."""
    with transaction.atomic():
        case = lock_case(case)
        ensure_status(case, {Status.INFO_REQUESTED, Status.REJECTED})
        InfoRequest.objects.filter(case=case, answered_at__isnull=True).update(
            answered_at=timezone.now()
        )
        case.reject_reason, case.reject_note, case.decided_at = "", "", None
        record(
            case=case,
            event_type=Event.INFO_SUBMITTED,
            actor=actor,
            to_status=Status.IN_REVIEW,
            details={"documents": document_ids},
            email="verification_documents_received",
        )
    return case
