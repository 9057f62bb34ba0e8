"""Verification services. `verification_case_open` is the seam the enrolment wizard calls."""

from __future__ import annotations

from portal.models import Organization, User


def verification_case_open(*, organization: Organization, actor: User | None) -> None:
    """Open the verification case of a just-submitted organization and write the primary
    contact's confirmation email. Called inside the enrolment's transaction."""
