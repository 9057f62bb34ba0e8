from __future__ import annotations

from django import template
from django.core.exceptions import FieldDoesNotExist

from enrollment.models import LegalProfile

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
