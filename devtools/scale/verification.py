"""Scale data for verification (`manage.py seed_scale`, after enrolment's step).

Every reseller the portal step made "submitted" gets a case, spread over every status, with the
events its path would have written and, once checked, its five check results. The organization
then takes its case's outcome (verified or rejected), as `verification.services` would do.
Open cases have their next scheduled step a few days ahead, so a beat started on this database
does not fire thousands of reminders at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from portal.models import Organization, User
from verification.models import (
    CASE_PROGRESS_FIELDS,
    OPEN_STATUSES,
    CaseEvent,
    CheckResult,
    VerificationCase,
)

from .run import ScaleRun, bulk_insert, next_ids

Status = VerificationCase.Status
Event = CaseEvent.Type
NextAction = VerificationCase.NextAction

# Share of the cases in each status (sums to 1).
STATUS_MIX: list[tuple[str, float]] = [
    (Status.EMAIL_PENDING, 0.10),
    (Status.CHECKING, 0.04),
    (Status.IN_REVIEW, 0.18),
    (Status.INFO_REQUESTED, 0.08),
    (Status.VERIFIED, 0.40),
    (Status.REJECTED, 0.10),
    (Status.WITHDRAWN, 0.04),
    (Status.EXPIRED, 0.06),
]

# The steps (event type, status it moves to) a case went through to reach each status.
_CONFIRMED: list[tuple[str, str]] = [
    (Event.OPENED, Status.EMAIL_PENDING),
    (Event.CONTACT_EMAILED, ""),
    (Event.CONTACT_CONFIRMED, Status.CHECKING),
]
_CHECKED: list[tuple[str, str]] = [*_CONFIRMED, (Event.CHECKS_COMPLETED, Status.IN_REVIEW)]
PATHS: dict[str, list[tuple[str, str]]] = {
    Status.EMAIL_PENDING: _CONFIRMED[:2],
    Status.CHECKING: _CONFIRMED,
    Status.IN_REVIEW: [*_CHECKED, (Event.CLAIMED, "")],
    Status.INFO_REQUESTED: [*_CHECKED, (Event.INFO_REQUESTED, Status.INFO_REQUESTED)],
    Status.VERIFIED: [*_CHECKED, (Event.CLAIMED, ""), (Event.APPROVED, Status.VERIFIED)],
    Status.REJECTED: [*_CHECKED, (Event.CLAIMED, ""), (Event.REJECTED, Status.REJECTED)],
    Status.WITHDRAWN: [*_CONFIRMED[:2], (Event.CONTACT_DENIED, Status.WITHDRAWN)],
    Status.EXPIRED: [*_CONFIRMED[:2], (Event.REMINDED, ""), (Event.EXPIRED, Status.EXPIRED)],
}
_NEXT_ACTION: dict[str, str] = {
    Status.EMAIL_PENDING: NextAction.REMIND,
    Status.INFO_REQUESTED: NextAction.REMIND,
    Status.CHECKING: NextAction.RUN_CHECKS,
    Status.IN_REVIEW: NextAction.ESCALATE,
}
CHECKED_STATUSES = {Status.IN_REVIEW, Status.INFO_REQUESTED, Status.VERIFIED, Status.REJECTED}


def _statuses(count: int) -> list[str]:
    result: list[str] = []
    for status, share in STATUS_MIX:
        result += [status] * max(1, round(count * share))
    return (result * 2)[:count] if len(result) < count else result[:count]


def seed_verification(run: ScaleRun) -> None:
    submitted = run.resellers[: run.counts["resellers_with_cases"]]
    statuses = _statuses(len(submitted))
    run.rng.shuffle(statuses)
    reviewer_ids = list(
        User.objects.filter(
            memberships__organization__kind=Organization.Kind.OPERATOR,
            memberships__verification_admin=True,
        ).values_list("pk", flat=True)
    )
    case_ids = next_ids(VerificationCase, len(submitted))
    cases: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    checks: list[tuple[Any, ...]] = []
    for tenant, status, case_id in zip(submitted, statuses, case_ids, strict=True):
        opened = run.ago(120, 0.2)
        path = PATHS[status]
        age = (run.now - opened).total_seconds()
        times = sorted(
            opened + timedelta(seconds=run.rng.uniform(0, min(age * 0.9, 14 * 86400))) for _ in path
        )
        times[0] = opened
        reviewer = run.rng.choice(reviewer_ids) if reviewer_ids else None
        has_reviewer = any(step == Event.CLAIMED for step, _to in path)
        assignee = reviewer if has_reviewer and run.rng.random() < 0.7 else None
        from_status = ""
        waiting_since = opened
        for (event_type, to_status), at in zip(path, times, strict=True):
            actor = (
                reviewer
                if event_type
                in (Event.CLAIMED, Event.APPROVED, Event.REJECTED, Event.INFO_REQUESTED)
                else None
            )
            if event_type == Event.OPENED:
                actor = tenant.admin_id
            details: dict[str, Any] = {}
            if event_type == Event.CLAIMED and assignee:
                details = {"assignee": assignee}
            events.append(
                (
                    case_id,
                    event_type,
                    actor,
                    from_status if to_status else "",
                    to_status,
                    details,
                    at,
                )
            )
            if to_status:
                from_status = to_status
                waiting_since = at
        if status in CHECKED_STATUSES:
            checked_at = times[3]
            failing = run.rng.random() < 0.25
            for index, name in enumerate(CheckResult.Name.values):
                passed = not (failing and index == run.rng.randrange(5))
                checks.append((case_id, name, passed, {"value": tenant.domain}, checked_at))
        cases.append(
            _case_row(run, tenant.id, case_id, status, assignee, opened, waiting_since, times[-1])
        )
    bulk_insert(
        run,
        VerificationCase,
        [
            "id",
            "organization_id",
            "status",
            "assignee_id",
            "reject_reason",
            "reject_note",
            "opened_at",
            *CASE_PROGRESS_FIELDS,
        ],
        cases,
    )
    bulk_insert(
        run,
        CaseEvent,
        ["case_id", "type", "actor_id", "from_status", "to_status", "details", "created_at"],
        events,
    )
    bulk_insert(run, CheckResult, ["case_id", "name", "passed", "evidence", "checked_at"], checks)
    first = case_ids[0] if case_ids else 0
    for case_status, org_status in (
        (Status.VERIFIED, Organization.Status.VERIFIED),
        (Status.REJECTED, Organization.Status.REJECTED),
    ):
        Organization.objects.filter(
            verification_case__status=case_status, verification_case__pk__gte=first
        ).update(status=org_status)


def _case_row(
    run: ScaleRun,
    organization_id: int,
    case_id: int,
    status: str,
    assignee: int | None,
    opened: datetime,
    waiting_since: datetime,
    last: datetime,
) -> tuple[Any, ...]:
    next_action, next_at, escalated, decided = "", None, None, None
    reason, note = "", ""
    if status in OPEN_STATUSES:
        next_at = run.now + timedelta(days=run.rng.uniform(1, 14))
        next_action = _NEXT_ACTION[status]
        if status == Status.IN_REVIEW and run.now - waiting_since > timedelta(days=4):
            escalated, next_action, next_at = waiting_since + timedelta(days=3), "", None
    else:
        decided = last
    if status == Status.REJECTED:
        reason = run.rng.choice(VerificationCase.RejectReason.values)
        note = "Could not match the registration documents."
    return (
        case_id,
        organization_id,
        status,
        assignee,
        reason,
        note,
        opened,
        waiting_since,
        next_at,
        next_action,
        0,
        escalated,
        decided,
        5,
        last,
    )
