"""Formats shared by every template (a builtin: no {% load %}).

`|machine_time`: `<time datetime="…">` values, the moment in UTC to the second (the HTML spec's
valid global date and time; `|date:"c"` adds microseconds), or the ISO date for a date.
`|money:"EUR"`: an amount in the reader's format (`€1,234.50` in English, `1.234,50 €` in
Italian). Dates themselves use the locale's DATE_FORMAT / DATETIME_FORMAT (portal/formats/).

`|date`: Django's filter, remembering its text for a day or a minute (see `date`).

Emails call the same functions (`money`, `local_date`) inside `translation.override(language)`,
so an email and the page it links to write an amount or a date the same way.

`|one_full_stop` (and `one_full_stop()`): a sentence that ends on a name ending in "." ("Contoso
S.p.A.") takes one full stop, not two; every email, flash message and sentence that ends on a
name goes through it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django import template
from django.template import defaultfilters
from django.utils import formats, numberformat, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF"}
# Languages that write the symbol after the amount, separated by a space.
SYMBOL_AFTER = {"it"}


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


@register.filter
def money(value: Decimal | float | int | str | None, currency: str = "") -> str:
    if value is None or value == "":
        return ""
    return _money_text(str(value), currency, get_language())


@lru_cache(maxsize=8192)
def _money_text(value: str, currency: str, language: str | None) -> str:
    """An amount's text, once per amount, currency and language (three format look-ups and a
    number formatting were ~25 us per cell of a billing table)."""
    number = numberformat.format(
        Decimal(value),
        formats.get_format("DECIMAL_SEPARATOR"),
        decimal_pos=0 if currency == "JPY" else 2,
        grouping=formats.get_format("NUMBER_GROUPING"),
        thousand_sep=formats.get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    if not symbol:
        return number
    if (language or "").split("-")[0] in SYMBOL_AFTER or len(symbol) > 1:
        return f"{number}\u00a0{symbol}"
    if number.startswith("-"):  # a credit: -€12.10, as CLDR writes it (not €-12.10)
        return f"-{symbol}{number[1:]}"
    return f"{symbol}{number}"


# Format characters whose text depends on nothing but the wall-clock minute (and the language:
# month and day names): a date or a time under these formats is written once per process.
_MINUTE_CHARACTERS = frozenset("dDjlNSwzWmMnbFEyYoLtHGhgiAaPf")


@lru_cache(maxsize=64)
def _memoizable(format_string: str) -> bool:
    return all(not c.isalpha() or c in _MINUTE_CHARACTERS for c in format_string) and (
        "\\" not in format_string
    )


@lru_cache(maxsize=8192)
def _date_text(value: date, format_string: str, _language: str | None) -> str:
    return formats.date_format(value, format_string)


@register.filter("date", expects_localtime=True, is_safe=False)
def memoized_date(value: Any, arg: str | None = None) -> str:
    """Django's `|date`: the same text. A row's date costs a format look-up and a DateFormat
    parse of the format on every call (about 25 us); a page of 25 rows with two or three dates
    each wrote the same few days again on every request. The value is already in the reader's
    time zone (expects_localtime), so its wall-clock minute, the format and the language fix
    the text."""
    if type(value) is datetime or type(value) is date:
        format_string = formats.get_format(arg or "DATE_FORMAT")
        if _memoizable(format_string):
            key: date = (
                value.replace(second=0, microsecond=0, tzinfo=None)
                if isinstance(value, datetime)
                else value
            )
            return _date_text(key, format_string, get_language())
    return defaultfilters.date(value, arg)


def local_date(value: date | datetime | None, format_name: str = "DATE_FORMAT") -> str:
    """A moment as the pages' `{{ value|date:"DATE_FORMAT" }}` writes it in the active language
    and time zone: the one way Python code (an email's context, a service's message) writes a
    date."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return memoized_date(value, format_name)


# A word's abbreviation point followed by the sentence's own ("S.p.A.." before a space, a tag,
# a quote or the end); an ellipsis ("...") and a relative path ("../") are left alone.
_DOUBLE_STOP = re.compile(r"(?<=\w)\.\.(?=[\s<\"')]|$)")


@register.filter(is_safe=True)
def one_full_stop(text: str) -> str:
    cleaned = _DOUBLE_STOP.sub(".", str(text))
    # Removing a "." from safe text keeps it safe.
    return mark_safe(cleaned) if isinstance(text, SafeString) else cleaned  # noqa: S308
