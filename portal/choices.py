"""`get_FOO_display()` without rebuilding the field's choices on every call.

Django's `Model._get_FIELD_display` builds `dict(make_hashable(field.flatchoices))` on every
call, hashing every label: a lazy label is translated to be hashed, so a status with eight
choices costs eight translations a row (a 25-row table ~1 ms of the page's CPU). The mixin
builds that dict once per field (its values stay lazy: each call still answers in the active
language) and answers exactly as Django does; a field whose choices are callable (read anew on
each use) goes through Django's."""

from __future__ import annotations

from typing import Any

from django.db.models import Field
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

_CHOICES: dict[Field[Any, Any], dict[Any, Any]] = {}


class ChoiceLabels:
    """Mixed in before `models.Model`: its `get_FOO_display()` use the remembered choices."""

    def _get_FIELD_display(self, field: Field[Any, Any]) -> Any:
        choices = _CHOICES.get(field)
        if choices is None:
            if not isinstance(field.choices, (list, tuple)):
                return super()._get_FIELD_display(field)  # type: ignore[misc]
            choices = _CHOICES[field] = dict(make_hashable(field.flatchoices))
        value = getattr(self, field.attname)
        # force_str() to coerce lazy strings (as Django does).
        return force_str(choices.get(make_hashable(value), value), strings_only=True)
