"""`<time datetime="…">` values: the moment in UTC to the second (the HTML spec's valid global
date and time; `|date:"c"` adds microseconds), or the ISO date for a date."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django import template

register = template.Library()


@register.filter
def machine_time(value: date | datetime | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
            return value.replace(microsecond=0, tzinfo=None).isoformat() + "Z"
        return value.replace(microsecond=0).isoformat()
    return value.isoformat()
