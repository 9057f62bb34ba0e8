"""Demo verification cases (DOMAIN.md demo data), made by the real services so each has its
events and emails: Northwind verified, Tailspin in review, Wingtip waiting for its primary
contact. Idempotent: an organization that has a case is left alone.

The services stamp everything "now"; each new case is then moved back onto the demo's story
(devtools.demo.portal.DEMO_DAYS_AGO), its events spread from the enrolment to the last step, so the
timeline, the queue's ages and the agreement date agree with each other."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from portal.models import Membership, Organization, OutboxMessage, User
from verification.models import CaseEvent, VerificationCase
from verification.services import (
    case_approve,
    case_checks_complete,
    case_contact_confirm,
    case_open,
)
from verification.services.core import schedule_next

from .portal import DEMO_DAYS_AGO, demo_days_ago

REVIEWER = "reviewer@csp-operator.example"
TARGETS = {
    "northwind-it.example": VerificationCase.Status.VERIFIED,
    "tailspin-cloud.example": VerificationCase.Status.IN_REVIEW,
    "wingtip-systems.example": VerificationCase.Status.EMAIL_PENDING,
}


def _global_admin(organization: Organization) -> User | None:
    membership = (
        Membership.objects.filter(organization=organization, global_admin=True)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def _confirmation_key(case: VerificationCase) -> str:
    message = OutboxMessage.objects.get(
        organization=case.organization, template="verification_contact_confirm"
    )
    return message.context["link"].rstrip("/").rsplit("/", 1)[-1]


def seed() -> None:
    reviewer = User.objects.get(email=REVIEWER)
    for domain, target in TARGETS.items():
        organization = Organization.objects.get(primary_domain=domain)
        if VerificationCase.objects.filter(organization=organization).exists():
            continue
        with transaction.atomic():
            case = case_open(organization=organization, actor=_global_admin(organization))
        if target != VerificationCase.Status.EMAIL_PENDING:
            case_contact_confirm(key=_confirmation_key(case))
            case_checks_complete(case_id=case.pk)  # the worker would do it a moment later
            if target == VerificationCase.Status.VERIFIED:
                case_approve(case=case, actor=reviewer, note="Demo: documents on file.")
        story = DEMO_DAYS_AGO[domain]
        last = story.get("verified") or story.get("in_review") or story["enrolled"]
        _retime(case, start=demo_days_ago(story["enrolled"]), end=demo_days_ago(last))


def _retime(case: VerificationCase, *, start: datetime, end: datetime) -> None:
    """Spread the case's events evenly from `start` to `end`; the case's own times follow. The
    next timed step (reminder, escalation) is scheduled again from the new `waiting_since` by the
    services' own rule, so the reviewer's escalation email goes out when the queue says "Over
    SLA", not when a shifted copy of the seed's clock says so."""
    events = list(case.events.order_by("created_at", "pk"))
    shift = start - case.opened_at
    steps = max(len(events) - 1, 1)
    for index, event in enumerate(events):
        event.created_at = start + (end - start) * index / steps
    CaseEvent.objects.bulk_update(events, ["created_at"])
    last = events[-1].created_at if events else start
    case.refresh_from_db()
    case.opened_at = start
    case.waiting_since = last
    case.updated_at = last
    if case.decided_at:
        case.decided_at = last
    schedule_next(case, timezone.now())
    case.save(
        update_fields=[
            "opened_at",
            "waiting_since",
            "updated_at",
            "decided_at",
            "next_action",
            "next_action_at",
        ]
    )
    if events:
        case.checks.update(checked_at=events[min(2, len(events) - 1)].created_at)
    for confirmation in case.confirmations.all():
        confirmation.created_at += shift
        confirmation.expires_at += shift
        if confirmation.used_at:
            confirmation.used_at = events[1].created_at if len(events) > 1 else start
        confirmation.save(update_fields=["created_at", "expires_at", "used_at"])
