"""Shared pieces of the relationships views."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from portal.models import Organization

from ..models import CustomerRelationship, ProviderRelationship

Kind = Organization.Kind


def date_text(value) -> str:
    return formats.date_format(value, "Y-m-d") if value else ""


def iso_date(value) -> str:
    """`date_text` for CSV rows: the same Y-m-d text (the datetime as stored, not converted),
    without the formatting machinery that was a third of an export's time."""
    return value.date().isoformat() if value else ""


def error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


_STATUS_LABELS = {
    **dict(ProviderRelationship.Status.choices),
    **dict(CustomerRelationship.Status.choices),
}


def status_text(value: str) -> str:
    return str(_STATUS_LABELS.get(value, value))
