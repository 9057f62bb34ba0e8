"""Shared pieces of the relationships views."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.models import Organization
from portal.templatetags.portal_formats import local_date

from ..models import CustomerRelationship, ProviderRelationship

Kind = Organization.Kind


def date_text(value) -> str:
    """A date in a message, in the reader's format (DATE_FORMAT: 29 Nov 2026, 29 nov 2026)."""
    return local_date(value)


def iso_date(value) -> str:
    """A date in CSV rows: ISO Y-m-d (the datetime as stored, not converted), which every
    spreadsheet reads whatever its language, without the formatting machinery that was a third
    of an export's time."""
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
