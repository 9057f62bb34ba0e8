"""Business-day arithmetic shared by the services (when a case escalates) and the selectors (how
close a case is to escalating): one module both import, so reads never import writes."""

from __future__ import annotations

from datetime import datetime, timedelta

# A case waiting on reviewers escalates after this many business days.
ESCALATION_BUSINESS_DAYS = 2


def add_business_days(start: datetime, days: int) -> datetime:
    current, added = start, 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current
