"""Saving a new row that a unique constraint may refuse, from any feature's services."""

from __future__ import annotations

from django.db import IntegrityError, models, transaction


def save_new_or_raise(obj: models.Model, conflict: Exception) -> None:
    """Validate `obj` (full_clean) and insert it in a savepoint; when a concurrent request wins
    the race on a unique constraint, raise `conflict` (a ValidationError the form shows) instead
    of the IntegrityError, leaving the caller's transaction usable."""
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise conflict from exc
