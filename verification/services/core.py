"""The one way a case changes: lock it, check where it is, apply, record, tell people."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.audit import audit_record
from portal.models import Organization, User
from portal.templatetags.portal_formats import local_date

from ..deadlines import escalation_due_at
from ..emails import email_primary_contact, notify_partner
from ..events import FOR_CASE_EVENT
from ..models import (
    CASE_PROGRESS_FIELDS,
    PARTNER_WAIT_STATUSES,
    CaseEvent,
    VerificationCase,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Status = VerificationCase.Status
NextAction = VerificationCase.NextAction

# The schedule (DOMAIN.md "Verification"), one name per meaning; `schedule_next` applies it.
REMINDER_DAYS = (3, 7)  # reminders to the primary contact, days into a wait on the partner
EXPIRY_DAYS = 30  # a case waiting on the partner this many days expires
CHECKS_RETRY_AFTER = timedelta(minutes=2)

# How a conflict message names what the other person did.
_DONE_VERBS: dict[str, StrOrPromise] = {
    CaseEvent.Type.APPROVED: gettext_lazy("approved"),
    CaseEvent.Type.REJECTED: gettext_lazy("rejected"),
    CaseEvent.Type.INFO_REQUESTED: gettext_lazy("sent back for more information"),
    CaseEvent.Type.CLAIMED: gettext_lazy("assigned"),
    CaseEvent.Type.INFO_SUBMITTED: gettext_lazy("updated with new documents"),
    CaseEvent.Type.EXPIRED: gettext_lazy("expired"),
    CaseEvent.Type.CONTACT_CONFIRMED: gettext_lazy("confirmed"),
    CaseEvent.Type.CONTACT_DENIED: gettext_lazy("withdrawn"),
    CaseEvent.Type.CONTACT_CHANGED: gettext_lazy("given a new primary contact"),
    CaseEvent.Type.CHECKS_COMPLETED: gettext_lazy("checked"),
}


class CaseConflict(Exception):
    """The case is not (or no longer) where the action expects it; nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def lock_case(case: VerificationCase | int) -> VerificationCase:
    pk = case.pk if isinstance(case, VerificationCase) else case
    return (
        VerificationCase.objects.select_for_update(of=("self",))
        .select_related("organization", "organization__legal_profile")
        .get(pk=pk)
    )


def conflict_message(case: VerificationCase) -> str:
    """Says who did what to the case last, so a second reviewer knows why nothing happened."""
    last = (
        CaseEvent.objects.filter(case=case)
        .exclude(type__in=[CaseEvent.Type.REMINDED, CaseEvent.Type.CONTACT_EMAILED])
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    if last is None:
        return _("This case changed in the meantime; nothing was changed.")
    who = last.actor.get_full_name() if last.actor else _("the system")
    when = local_date(last.created_at, "DATETIME_FORMAT")
    return _("This case was already %(verb)s by %(who)s at %(when)s; nothing was changed.") % {
        "verb": _DONE_VERBS.get(last.type, gettext_lazy("changed")),
        "who": who,
        "when": when,
    }


def ensure_status(
    case: VerificationCase, allowed: Collection[str], expected_version: int | None = None
) -> None:
    """Refuse when the case is elsewhere, or changed since the actor loaded it."""
    stale = expected_version is not None and expected_version != case.version
    if case.status not in allowed or stale:
        raise CaseConflict(conflict_message(case))


def schedule_next(case: VerificationCase, now: datetime) -> None:
    """Set `next_action_at` for the case's current wait (a column the sweep reads): while it
    waits on the partner, a reminder on day 3 and day 7 (REMINDER_DAYS), then expiry on day 30
    (EXPIRY_DAYS); in review, escalation after 2 business days (ESCALATION_BUSINESS_DAYS)."""
    case.next_action, case.next_action_at = "", None
    if case.status in PARTNER_WAIT_STATUSES:
        if case.reminders_sent < len(REMINDER_DAYS):
            case.next_action = NextAction.REMIND
            days = REMINDER_DAYS[case.reminders_sent]
        else:
            case.next_action = NextAction.EXPIRE
            days = EXPIRY_DAYS
        case.next_action_at = case.waiting_since + timedelta(days=days)
    elif case.status == Status.CHECKING:
        case.next_action, case.next_action_at = NextAction.RUN_CHECKS, now + CHECKS_RETRY_AFTER
    elif case.status == Status.IN_REVIEW and case.escalated_at is None:
        case.next_action = NextAction.ESCALATE
        case.next_action_at = escalation_due_at(case.waiting_since)


_ORG_STATUS: dict[str, Organization.Status] = {
    Status.VERIFIED: Organization.Status.VERIFIED,
    Status.REJECTED: Organization.Status.REJECTED,
}

CASE_FIELDS = [
    "status",
    "assignee",
    "reject_reason",
    "reject_note",
    *CASE_PROGRESS_FIELDS,
]


def record(
    *,
    case: VerificationCase,
    event_type: str,
    actor: User | None,
    to_status: str | None = None,
    details: dict[str, Any] | None = None,
    email: str | None = None,
    email_context: dict[str, Any] | None = None,
    now: datetime | None = None,
    keep_organization_status: bool = False,
) -> CaseEvent:
    """Apply a (possibly status-changing) step to a locked case: save it, append the event and
    the audit row, write the primary contact's email and the in-app notice."""
    now = now or timezone.now()
    details = details or {}
    from_status = case.status
    new_status = to_status if to_status is not None and to_status != from_status else None
    changes_status = new_status is not None
    if new_status is not None:
        case.status = new_status
        case.waiting_since = now
        case.reminders_sent = 0
        case.escalated_at = None
        schedule_next(case, now)
        organization_status = _ORG_STATUS.get(new_status)
        if organization_status is None and from_status in _ORG_STATUS:
            organization_status = Organization.Status.SUBMITTED
        if keep_organization_status:
            organization_status = None
        if organization_status and case.organization.status != organization_status:
            case.organization.status = organization_status
            case.organization.save(update_fields=["status"])
    case.version += 1
    case.updated_at = now
    case.full_clean(exclude=["organization", "assignee"])
    case.save(update_fields=CASE_FIELDS)
    event = CaseEvent.objects.create(
        case=case,
        type=event_type,
        actor=actor,
        from_status=from_status if changes_status else "",
        to_status=new_status if new_status is not None else "",
        details=details,
        created_at=now,
    )
    audit_record(
        type=FOR_CASE_EVENT[event_type],
        organization=case.organization,
        actor=actor,
        case=case.pk,
        from_status=from_status,
        to_status=case.status,
        **details,
    )
    if email:
        email_primary_contact(case=case, event=event, template=email, context=email_context)
    if changes_status:
        notify_partner(case=case, status_label=Status(case.status).label)
    return event
