"""Formats shared by every template (a builtin: no {% load %}).

`|machine_time`: `<time datetime="…">` values, the moment in UTC to the second (the HTML spec's
valid global date and time; `|date:"c"` adds microseconds), or the ISO date for a date.
`|money:"EUR"`: an amount in the reader's format (`€1,234.50` in English, `1.234,50 €` in
Italian). Dates themselves use the locale's DATE_FORMAT / DATETIME_FORMAT (portal/formats/)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from django import template
from django.utils import formats, numberformat
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
    number = numberformat.format(
        Decimal(str(value)),
        formats.get_format("DECIMAL_SEPARATOR"),
        decimal_pos=0 if currency == "JPY" else 2,
        grouping=formats.get_format("NUMBER_GROUPING"),
        thousand_sep=formats.get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    if not symbol:
        return number
    if (get_language() or "").split("-")[0] in SYMBOL_AFTER or len(symbol) > 1:
        return f"{number}\u00a0{symbol}"
    return f"{symbol}{number}"
