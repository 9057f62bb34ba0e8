"""Counts that stop counting and keyset pages: the queue costs the same at 50 or 50,000 cases.

(The `lists` work may bring a shared helper in `portal/paging.py`; this one serves the review
queue until the two are unified.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

# Counts stop here: the page says "10,000+" rather than scanning every row to say 49,873.
COUNT_CAP = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def capped_counts(querysets: dict[str, QuerySet[Any]], cap: int | None = None) -> dict[str, int]:
    """Each queryset's row count, stopping at cap + 1, all in ONE query (each count reads at
    most cap + 1 index entries)."""
    if not querysets:
        return {}  # no query at all
    cap = COUNT_CAP if cap is None else cap
    parts: list[str] = []
    params: list[Any] = []
    for qs in querysets.values():
        sql, qs_params = qs.order_by().values("pk")[: cap + 1].query.sql_with_params()
        # The SQL is Django's own compilation of the queryset; values stay parameters.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) capped)")  # noqa: S608
        params.extend(qs_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {key: int(value) for key, value in zip(querysets, row, strict=True)}


def encode_cursor(moment: datetime, pk: int) -> str:
    return f"{(moment - _EPOCH) // timedelta(microseconds=1)}.{pk}"


def decode_cursor(value: str) -> tuple[datetime, int] | None:
    micros, _dot, pk = value.partition(".")
    try:
        return _EPOCH + timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError):
        return None


@dataclass
class KeysetPage:
    """One page of a list ordered by (`field`, pk): links carry the edge row, never an offset."""

    object_list: list[Any]
    next_cursor: str = ""
    previous_cursor: str = ""
    is_first: bool = True

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_cursor)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _after(field_name: str, moment: datetime, pk: int, descending: bool) -> Q:
    # Written as a range on the leading column plus a tie-break so that an index on
    # (field, pk) bounds the scan (an OR alone would not).
    op = "lt" if descending else "gt"
    edge = "lte" if descending else "gte"
    return Q(**{f"{field_name}__{edge}": moment}) & (
        Q(**{f"{field_name}__{op}": moment}) | Q(**{f"pk__{op}": pk})
    )


def keyset_page(
    queryset: QuerySet[Any],
    *,
    field_name: str,
    descending: bool,
    size: int,
    after: str = "",
    before: str = "",
) -> KeysetPage:
    """The page after cursor `after`, before cursor `before`, or the first page."""
    order: Sequence[str] = (
        [f"-{field_name}", "-pk"] if descending else [field_name, "pk"]
    )  # the list's own order
    reverse: Sequence[str] = [field_name, "pk"] if descending else [f"-{field_name}", "-pk"]
    before_key = decode_cursor(before) if before else None
    after_key = decode_cursor(after) if after else None
    if before_key:
        rows = list(
            queryset.filter(_after(field_name, *before_key, descending=not descending)).order_by(
                *reverse
            )[: size + 1]
        )
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        page = KeysetPage(rows, is_first=not more_before)
        if rows:
            page.next_cursor = encode_cursor(getattr(rows[-1], field_name), rows[-1].pk)
            if more_before:
                page.previous_cursor = encode_cursor(getattr(rows[0], field_name), rows[0].pk)
        return page
    if after_key:
        queryset = queryset.filter(_after(field_name, *after_key, descending=descending))
    rows = list(queryset.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    page = KeysetPage(rows, is_first=after_key is None)
    if rows and more:
        page.next_cursor = encode_cursor(getattr(rows[-1], field_name), rows[-1].pk)
    if rows and after_key is not None:
        page.previous_cursor = encode_cursor(getattr(rows[0], field_name), rows[0].pk)
    return page
