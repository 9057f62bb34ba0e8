from __future__ import annotations

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import number_format

from enrollment.models import LegalProfile
from portal.paging import COUNT_CAP
from verification.models import VerificationCase

register = template.Library()


@register.filter
def legal_field_labels(names: list[str]) -> str:
    """The legal-info fields a change touched, as the form labels them (in the reader's
    language)."""
    labels = []
    for name in names or []:
        try:
            field = LegalProfile._meta.get_field(name)
        except FieldDoesNotExist:
            labels.append(name)
            continue
        labels.append(str(getattr(field, "verbose_name", name)))
    return ", ".join(labels)


@register.filter
def capped(count: int) -> str:
    """A count from `paging.capped_counts`: "10,000+" once past the cap, else the number."""
    if count > COUNT_CAP:
        return f"{number_format(COUNT_CAP, force_grouping=True)}+"
    return number_format(count, force_grouping=True)


@register.filter
def status_for(status: str, partner: bool) -> str:
    """A case status as its reader sees it: the partner's words, or the reviewer's."""
    if not status:
        return ""
    if partner:
        return str(VerificationCase.Status(status).label)
    return str(VerificationCase.reviewer_label(status))
