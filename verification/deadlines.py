"""Business-day arithmetic shared by the services (when a case escalates) and the selectors (how
close a case is to escalating): one module both import, so reads never import writes."""

from __future__ import annotations

from datetime import datetime, timedelta

# A case waiting on reviewers escalates after this many business days.
ESCALATION_BUSINESS_DAYS = 2


def escalation_due_at(waiting_since: datetime) -> datetime:
    """When a case waiting on reviewers since `waiting_since` escalates: the sweep's
    `next_action_at` (services.core.schedule_next) and the queue's "Over SLA" (selectors.case_sla)
    both read this, so the email and the page change at the same moment."""
    return add_business_days(waiting_since, ESCALATION_BUSINESS_DAYS)


def escalation_warning_at(waiting_since: datetime) -> datetime:
    """From when the queue says "Due soon": one business day before the escalation."""
    return add_business_days(waiting_since, ESCALATION_BUSINESS_DAYS - 1)


def add_business_days(start: datetime, days: int) -> datetime:
    current, added = start, 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current
