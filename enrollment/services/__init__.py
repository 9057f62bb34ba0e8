"""Enrolment services (writes). One module per area; import from here."""

from .wizard import StepInvalid, enrollment_draft_save, enrollment_start, enrollment_submit

__all__ = ["StepInvalid", "enrollment_draft_save", "enrollment_start", "enrollment_submit"]
