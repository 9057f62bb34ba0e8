"""Enrolment factories and helpers: a signed-up user with a draft, valid step data."""

from __future__ import annotations

import itertools

from enrollment.models import EnrollmentDraft
from enrollment.services import enrollment_draft_save, enrollment_start
from tests.factories import UserFactory

_numbers = itertools.count(1)


def legal_data(**overrides) -> dict[str, str]:
    return {
        "legal_name": "Acme Cloud S.r.l.",
        "address_line1": "Via Roma 1",
        "address_line2": "",
        "city": "Roma",
        "state": "RM",
        "postal_code": "00184",
        "country": "IT",
        "phone": "+39 06 1234 5678",
        "website": "https://acme.example",
        "registration_id": "",
        **overrides,
    }


def contact_data(domain: str, **overrides) -> dict[str, str]:
    return {
        "primary_contact_first_name": "Anna",
        "primary_contact_last_name": "Bruni",
        "primary_contact_email": f"anna.bruni@{domain}",
        "primary_contact_phone": "+39 06 1234 5600",
        **overrides,
    }


def support_data(domain: str, **overrides) -> dict[str, str]:
    return {
        "support_email": f"support@{domain}",
        "support_phone": "+39 06 1234 5699",
        "support_website": "",
        **overrides,
    }


def drafting_user(*, domain: str | None = None, through: str = "account") -> EnrollmentDraft:
    """A work account that did the account step (and, with `through`, later steps)."""
    domain = domain or f"acme{next(_numbers)}.example"
    user = UserFactory(email=f"anna.bruni@{domain}")
    draft = enrollment_start(actor=user)
    steps = {
        "legal": legal_data(),
        "contact": contact_data(domain),
        "support": support_data(domain),
    }
    following = {"legal": "contact", "contact": "support", "support": "review"}
    if through != "account":
        for step, data in steps.items():
            draft = enrollment_draft_save(
                draft=draft, step=step, data=data, resume_at=following[step]
            )
            if step == through:
                break
    return draft
