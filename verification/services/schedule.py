"""The days-long schedule: reminders on day 3 and 7 while a case waits on the partner, expiry
after 30 days, escalation after 2 business days waiting on reviewers. Each case carries its next
step in `next_action_at`; the beat sweep takes due rows with skip_locked, one transaction each,
and every step moves `next_action_at` on, so a second sweep finds nothing to do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from portal.audit import notify
from portal.models import Membership, Organization
from portal.notices import Notice
from portal.turns import WriterTurns

from ..emails import email_verification_admins
from ..models import PARTNER_WAIT_STATUSES, CaseEvent, VerificationCase
from .checks import case_checks_complete
from .contact import confirmation_email_context, contact_link_issue
from .core import EXPIRY_DAYS, record, schedule_next

Status = VerificationCase.Status
NextAction = VerificationCase.NextAction
Event = CaseEvent.Type


def _due(case: VerificationCase, action: str, now: datetime) -> bool:
    return (
        case.next_action == action
        and case.next_action_at is not None
        and case.next_action_at <= now
    )


def case_remind(*, case: VerificationCase, now: datetime | None = None) -> bool:
    """Day 3 and day 7: remind the primary contact (with a fresh link while the confirmation is
    pending). Call with the case locked."""
    now = now or timezone.now()
    if not _due(case, NextAction.REMIND, now) or case.status not in PARTNER_WAIT_STATUSES:
        return False
    case.reminders_sent += 1
    schedule_next(case, now)
    context = {"number": case.reminders_sent, "expiry_days": EXPIRY_DAYS}
    if case.status == Status.EMAIL_PENDING:
        key = contact_link_issue(
            case=case, email=case.organization.legal_profile.primary_contact_email, now=now
        )
        context.update(confirmation_email_context(key))
        template = "verification_contact_reminder"
    else:
        template = "verification_info_reminder"
    record(
        case=case,
        event_type=Event.REMINDED,
        actor=None,
        details={"number": case.reminders_sent},
        email=template,
        email_context=context,
        now=now,
    )
    return True


def case_expire(*, case: VerificationCase, now: datetime | None = None) -> bool:
    """30 days without an answer from the partner. Call with the case locked."""
    now = now or timezone.now()
    if not _due(case, NextAction.EXPIRE, now) or case.status not in PARTNER_WAIT_STATUSES:
        return False
    record(
        case=case,
        event_type=Event.EXPIRED,
        actor=None,
        to_status=Status.EXPIRED,
        details={"waited_since": case.waiting_since.isoformat()},
        email="verification_expired",
        email_context={"expiry_days": EXPIRY_DAYS},
        now=now,
    )
    return True


def case_escalate(*, case: VerificationCase, now: datetime | None = None) -> bool:
    """More than 2 business days in review: tell the operator's verification admins. Once per
    wait. Call with the case locked."""
    now = now or timezone.now()
    if not _due(case, NextAction.ESCALATE, now) or case.status != Status.IN_REVIEW:
        return False
    case.escalated_at = now
    case.next_action, case.next_action_at = "", None
    event = record(
        case=case,
        event_type=Event.ESCALATED,
        actor=None,
        details={"waiting_since": case.waiting_since.isoformat()},
        now=now,
    )
    admins = Membership.objects.filter(
        organization__kind=Organization.Kind.OPERATOR, verification_admin=True
    ).select_related("user", "organization")
    email_verification_admins(
        case=case, event=event, admins=[m.user for m in admins], template="verification_escalated"
    )
    for operator in {m.organization for m in admins}:
        notify(
            organization=operator,
            message=Notice(
                gettext_noop("Verification of %(name)s waits more than 2 business days"),
                {"name": case.organization.legal_profile.legal_name},
            ),
            link=f"/review/{case.pk}/",
        )
    return True


# The sweep's timed steps, by the case's `next_action` (a plain str when read from a row).
_STEPS: dict[str, Callable[..., bool]] = {
    NextAction.REMIND: case_remind,
    NextAction.EXPIRE: case_expire,
    NextAction.ESCALATE: case_escalate,
}


def verification_sweep_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Carry out every due step; returns how many cases changed."""
    now = now or timezone.now()
    due_ids = list(
        VerificationCase.objects.filter(next_action_at__lte=now)
        .order_by("next_action_at")
        .values_list("pk", flat=True)[:limit]
    )
    changed = 0
    turns = WriterTurns()
    for case_id in due_ids:
        if _sweep_one(case_id, now):
            changed += 1
        turns.take()
    return changed


def _sweep_one(case_id: int, now: datetime) -> bool:
    with transaction.atomic():
        case = (
            VerificationCase.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("organization", "organization__legal_profile")
            .filter(pk=case_id, next_action_at__lte=now)
            .first()
        )
        if case is None:  # another sweeper holds it, or it moved on
            return False
        if case.next_action == NextAction.RUN_CHECKS:
            run_checks = True
        else:
            step = _STEPS.get(case.next_action)
            return bool(step and step(case=case, now=now))
    # Checks lost on the way to the worker (broker down): run them here, in their own
    # transaction.
    return run_checks and case_checks_complete(case_id=case_id) is not None
