"""Verification services: every write to a case goes through one of these named transitions.

`verification_case_open` and `case_details_changed` answer enrolment's signals
(enrollment/signals.py, receivers in verification/receivers.py) inside its transactions."""

from __future__ import annotations

from portal.models import Organization, User

from .cases import (
    case_approve,
    case_assign,
    case_claim,
    case_details_changed,
    case_info_submitted,
    case_open,
    case_reject,
    case_request_info,
)
from .checks import case_checks_complete, checks_evaluate
from .contact import (
    ContactLinkInvalid,
    RateLimited,
    case_contact_change,
    case_contact_confirm,
    case_contact_deny,
    case_contact_resend,
    contact_link_lookup,
    contact_link_request_by_email,
    contact_link_request_new,
)
from .core import CaseConflict
from .documents import DocumentRejected, document_upload
from .schedule import case_escalate, case_expire, case_remind, verification_sweep_due


def verification_case_open(*, organization: Organization, actor: User | None) -> None:
    """Open the verification case of a just-submitted organization and write the primary
    contact's confirmation email. Called inside the enrolment's transaction."""
    case_open(organization=organization, actor=actor)


__all__ = [
    "CaseConflict",
    "ContactLinkInvalid",
    "DocumentRejected",
    "RateLimited",
    "case_approve",
    "case_assign",
    "case_checks_complete",
    "case_claim",
    "case_contact_change",
    "case_contact_confirm",
    "case_contact_deny",
    "case_contact_resend",
    "case_details_changed",
    "case_escalate",
    "case_expire",
    "case_info_submitted",
    "case_open",
    "case_reject",
    "case_remind",
    "case_request_info",
    "checks_evaluate",
    "contact_link_lookup",
    "contact_link_request_by_email",
    "contact_link_request_new",
    "document_upload",
    "verification_case_open",
    "verification_sweep_due",
]
