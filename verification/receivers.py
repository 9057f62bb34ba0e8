"""Verification's answers to enrolment's signals (enrollment/signals.py), connected in
VerificationConfig.ready(). They run inside the sender's transaction."""

from __future__ import annotations

from typing import Any

from portal.models import Organization, User

from . import services


def open_case_on_enrollment_submitted(
    sender: Any, *, organization: Organization, actor: User, **kwargs: Any
) -> None:
    """Register now opens the verification case and writes the contact's confirmation email."""
    services.verification_case_open(organization=organization, actor=actor)


def reverify_on_legal_profile_changed(
    sender: Any, *, organization: Organization, actor: User, fields: list[str], **kwargs: Any
) -> None:
    """What changed is verified again (DOMAIN.md: edits re-open verification)."""
    services.case_details_changed(organization=organization, actor=actor, fields=fields)
