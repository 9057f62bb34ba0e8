"""The audit log: `audit_record()` appends one event; the catalogue says which event types exist.

The catalogue keeps the core free of feature imports (as the dashboard panels do): each app
declares its event types in `<app>/events.py` as a `TextChoices` (stored code, translated label)
and registers it in its `AppConfig.ready()` with `register_event_types()`. Call sites pass those
constants, never a free string; recording a type nobody registered raises where
`PORTAL_AUDIT_STRICT` is on (DEBUG and tests) and is logged elsewhere, so a typo never reaches
production silently. Pages show an event with `event_label(code)`."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from .models import AuditEvent, Notification, Organization, User
from .notices import Notice, notice_english

logger = logging.getLogger(__name__)

# code -> label (a lazy translation); filled by the apps' ready() at start-up.
_CATALOGUE: dict[str, Any] = {}


def register_event_types(choices: type[models.TextChoices]) -> None:
    """Add an app's event types to the catalogue. A code registered twice with another label is a
    mistake (two apps claiming one code) and raises."""
    for code, label in choices.choices:
        existing = _CATALOGUE.get(code)
        if existing is not None and str(existing) != str(label):
            raise ImproperlyConfigured(f"Audit event type {code!r} is registered twice.")
        _CATALOGUE[code] = label


def event_type_registered(code: str) -> bool:
    return code in _CATALOGUE


def event_label(code: str) -> str:
    """The translated label of an event type; an unknown (retired) code shows as itself."""
    label = _CATALOGUE.get(code)
    return str(label) if label is not None else code


def event_type_choices() -> list[tuple[str, str]]:
    """Every registered type as (code, translated label), sorted by label in the active language."""
    return sorted(((code, str(label)) for code, label in _CATALOGUE.items()), key=lambda c: c[1])


def _check_registered(code: str) -> None:
    if code in _CATALOGUE:
        return
    if getattr(settings, "PORTAL_AUDIT_STRICT", settings.DEBUG):
        raise ImproperlyConfigured(
            f"Audit event type {code!r} is not in the catalogue: declare it in the app's events.py."
        )
    logger.warning("audit event type %r is not in the catalogue", code)


def audit_record(
    *, type: str, organization: Organization | None, actor: User | None = None, **details: Any
) -> AuditEvent:
    """Append one audit event; call inside the transaction of the change it describes. `type` is
    a constant of an app's `events.py`."""
    _check_registered(type)
    return AuditEvent.objects.create(
        type=str(type), organization=organization, actor=actor, details=details
    )


def notify(*, organization: Organization, message: Notice, link: str = "") -> Notification:
    """A notice for the organization's admins, worded when read in the reader's language."""
    return Notification.objects.create(
        organization=organization,
        code=message.msgid,
        params=message.stored_params(),
        message=notice_english(message)[:300],
        link=link,
    )
