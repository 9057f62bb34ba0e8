"""The steps of the reseller enrolment wizard and the form each one uses.

The draft (EnrollmentDraft.data) holds one dict per form step, keyed by step name, with
LegalProfile field names; `draft.step` is the step to resume at."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from portal.models import Market

from .forms import ContactForm, DraftForm, LegalForm, SupportForm
from .models import EnrollmentDraft

STEPS: tuple[str, ...] = ("account", "legal", "contact", "support", "review")
FORM_STEPS: tuple[str, ...] = ("legal", "contact", "support")
STEP_TITLES = {
    "account": _("Work account"),
    "legal": _("Legal business profile"),
    "contact": _("Primary contact"),
    "support": _("Customer support"),
    "review": _("Review"),
}


def step_number(step: str) -> int:
    return STEPS.index(step) + 1


def step_previous(step: str) -> str | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None


def step_next(step: str) -> str | None:
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def draft_country(draft: EnrollmentDraft) -> Market | None:
    code = draft.data.get("legal", {}).get("country")
    return Market.objects.filter(code=code).first() if code else None


def step_form(step: str, draft: EnrollmentDraft, data: dict[str, Any] | None = None) -> DraftForm:
    """The form of a step: bound to `data` (a POST) or, without it, filled from the draft."""
    initial = draft.data.get(step, {})
    organization = draft.organization
    if step == "legal":
        return LegalForm(data, initial=initial, organization=organization)
    country = draft_country(draft)
    if step == "contact":
        return ContactForm(
            data,
            initial=initial,
            organization_domain=organization.primary_domain if organization else "",
            country=country,
        )
    if step == "support":
        return SupportForm(data, initial=initial, country=country)
    raise KeyError(step)


def draft_validate(draft: EnrollmentDraft) -> tuple[dict[str, str], str | None]:
    """All form steps re-validated from the draft: (profile fields, first invalid step)."""
    fields: dict[str, str] = {}
    for step in FORM_STEPS:
        form = step_form(step, draft, draft.data.get(step, {}))
        if not form.is_valid():
            return fields, step
        fields.update(form.as_draft())
    return fields, None
