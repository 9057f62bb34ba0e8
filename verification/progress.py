"""The partner's progress indicator: Partner Center's steps, each saying whether it is done, who
it waits on and what to do next."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import VerificationCase
from .services.core import EXPIRY_DAYS

Status = VerificationCase.Status

DONE, CURRENT, UPCOMING, STOPPED = "done", "current", "upcoming", "stopped"
STATE_LABELS = {
    DONE: _("Done"),
    CURRENT: _("In progress"),
    UPCOMING: _("Not started"),
    STOPPED: _("Stopped"),
}


@dataclass
class Step:
    key: str
    label: Any
    state: str = UPCOMING
    waits_on: Any = ""
    next_step: Any = ""

    @property
    def state_label(self) -> Any:
        return STATE_LABELS[self.state]


def verification_steps(
    case: VerificationCase, *, expired_waiting_for_contact: bool = False
) -> list[Step]:
    profile = case.organization.legal_profile
    contact = f"{profile.primary_contact_name} ({profile.primary_contact_email})"
    steps = [
        Step("entry", _("Entry"), DONE),
        Step("email", _("Email ownership")),
        Step("checks", _("Email domain and business details")),
        Step("review", _("Employment and business verification")),
        Step("decision", _("Decision")),
    ]
    status = case.status
    reached_by_status: dict[str, int] = {
        Status.EMAIL_PENDING: 1,
        Status.WITHDRAWN: 1,
        Status.CHECKING: 2,
        Status.IN_REVIEW: 3,
        Status.INFO_REQUESTED: 3,
        Status.EXPIRED: 1 if expired_waiting_for_contact else 3,
        Status.VERIFIED: 4,
        Status.REJECTED: 4,
    }
    reached = reached_by_status[status]
    for step in steps[1:reached]:
        step.state = DONE
    current = steps[reached]
    current.state = CURRENT

    if status == Status.EMAIL_PENDING:
        current.waits_on = _("Your primary contact, %(contact)s") % {"contact": contact}
        current.next_step = _(
            "Ask them to open the email we sent and confirm. If it has not arrived after a "
            "business day, resend it or change the primary contact below."
        )
    elif status == Status.WITHDRAWN:
        current.state = STOPPED
        current.waits_on = _("A Global admin of your organization")
        current.next_step = _(
            "The primary contact said they did not sign up for this account. If that was a "
            "mistake, name the right primary contact below."
        )
    elif status == Status.CHECKING:
        current.waits_on = _("Automated checks (usually about a minute)")
        current.next_step = _("Nothing to do: we email your primary contact when it is done.")
    elif status == Status.IN_REVIEW:
        current.waits_on = _("The programme's verification team")
        current.next_step = _(
            "Nothing to do now. Verification usually takes 3 to 5 business days; we email "
            "your primary contact at every change."
        )
    elif status == Status.INFO_REQUESTED:
        current.waits_on = _("A Global admin of your organization")
        current.next_step = _("Upload the documents requested below.")
    elif status == Status.EXPIRED:
        current.state = STOPPED
        current.waits_on = _("A Global admin of your organization")
        current.next_step = _(
            "Nobody answered within %(days)s days. Name the primary contact below to start again."
        ) % {"days": EXPIRY_DAYS}
    elif status == Status.VERIFIED:
        current.state = DONE
        current.next_step = _("Verified. A Global admin can now accept the Partner Agreement.")
    elif status == Status.REJECTED:
        current.state = STOPPED
        current.waits_on = _("A Global admin of your organization")
        current.next_step = _(
            "Under Fix now below, choose a document that proves the details and select "
            "Upload; the application goes back to review."
        )
    return steps
