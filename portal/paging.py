"""Pagination and counts whose cost does not grow with the data.

- `capped_count(qs, cap)`: counts at most `cap + 1` rows (`SELECT COUNT(*) FROM (... LIMIT cap+1)`),
  so a list of 200,000 rows costs the same as one of 10,001. The page shows "More than 10,000".
- `bounded_page(qs, number, per_page, cap)`: one capped count plus one `LIMIT per_page OFFSET ...`
  query. Only the first `cap` rows can be browsed page by page (OFFSET never goes past `cap`); a
  page number past them shows the last browsable page with `beyond_cap` set, so the template can
  explain how to reach the rest (search, filter, reverse the sort, export). Two queries whatever
  the size, past the cap included.

The page object quacks like Django's `Page` for the templates (`number`, `has_next`,
`paginator.num_pages`, ...) and is rendered by `portal/_bounded_pagination.html` (the
relationships lists use it).

  With `one_query=True` the count and the page are one query (a search's small cap).
- `capped_counts({name: qs})`: several capped counts in one query (the review queue's status
  counts).
- `keyset_page(...)`: "after/before this row" pages for a list ordered by a moment and the pk
  (the review queue): any page costs one index range read, however deep."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Window

from portal.sqlmemo import memo_rows

# Counts stop here: a page says "More than 10,000" rather than scanning every row to say 49,873.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class CappedCount:
    """`value` is exact when `capped` is False; otherwise there are more than `value` rows."""

    value: int
    capped: bool

    def __int__(self) -> int:
        return self.value


def capped_count(
    qs: QuerySet, cap: int = COUNT_CAP, order: tuple[str, ...] | None = None
) -> CappedCount:
    """`order`: count in this (index-served) order instead of none. When matching rows are
    frequent but a filter is on a joined table, walking an index in order and stopping at
    `cap + 1` is what PostgreSQL should do, and an ORDER BY makes it choose that plan."""
    n = qs.order_by(*(order or ())).values("pk")[: cap + 1].count()
    return CappedCount(value=min(n, cap), capped=n > cap)


def page_number(value: Any) -> int:
    """A page number from a query parameter: anything that is not a positive integer is 1."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


@dataclass
class BoundedPage:
    number: int
    per_page: int
    count: CappedCount
    object_list: list[Any] = field(default_factory=list)
    beyond_cap: bool = False
    requested: int = 1
    # Uncounted pages (`counted=False`) know only whether another page follows.
    counted: bool = True
    _has_next: bool = False

    @classmethod
    def counted_at(cls, requested: int, per_page: int, count: CappedCount) -> BoundedPage:
        """Page `requested` of `count` rows, before its rows are read (from `offset`): a number
        past the last page is the last one (as Django's `get_page` does); past the cap, it says
        so too (`beyond_cap`). The same queries either way, whatever the size."""
        page = cls(number=requested, per_page=per_page, count=count, requested=requested)
        if requested > page.num_pages:
            page.beyond_cap = count.capped
            page.number = page.num_pages
        return page

    @classmethod
    def uncounted_at(cls, requested: int, per_page: int, cap: int) -> BoundedPage:
        """Page `requested` of a list that is not counted (at most the cap's last page), before
        its rows are read: `per_page + 1` of them from `offset`, given to `fill_uncounted`."""
        return cls(
            number=min(requested, max(1, cap // per_page)),
            per_page=per_page,
            count=CappedCount(value=cap, capped=True),
            requested=requested,
            counted=False,
        )

    @property
    def offset(self) -> int:
        """The rows before this page's."""
        return (self.number - 1) * self.per_page

    def fill_uncounted(self, rows: list[Any]) -> None:
        """An uncounted page's rows from up to `per_page + 1` read: one more means a next page
        (within the cap's pages)."""
        self.object_list = rows[: self.per_page]
        last = max(1, self.count.value // self.per_page)
        self._has_next = len(rows) > self.per_page and self.number < last

    # Django's Page API, for templates that already use it.
    @property
    def paginator(self) -> BoundedPage:
        return self

    @property
    def num_pages(self) -> int:
        """Pages that can be browsed (the last one may be partial)."""
        return max(1, -(-self.count.value // self.per_page))

    @property
    def more_pages(self) -> bool:
        """There are rows past the browsable pages."""
        return self.count.capped

    def has_next(self) -> bool:
        if not self.counted:
            return self._has_next
        return self.number < self.num_pages

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __bool__(self) -> bool:
        return bool(self.object_list)


def bounded_page(
    qs: QuerySet,
    number: Any,
    *,
    per_page: int = 25,
    cap: int = COUNT_CAP,
    counted: bool = True,
    count_order: tuple[str, ...] | None = None,
    one_query: bool = False,
) -> BoundedPage:
    """The `number`-th page of `qs` (already ordered). A number past the last page shows the last
    page (as Django's `get_page` does); past the browsable cap, that is the last browsable page
    and `beyond_cap` is set so the template can explain.

    `one_query=True` reads the page and its capped count in one query (`_counted_page`): for a
    small cap (a search's), where counting means walking the same rows as the page anyway.

    `counted=False` saves the count query: one query reads `per_page + 1` rows to know whether a
    next page exists, and the template shows "Page N" without a total."""
    requested = page_number(number)
    if not counted:
        page = BoundedPage.uncounted_at(requested, per_page, cap)
        page.fill_uncounted(list(qs[page.offset : page.offset + per_page + 1]))
        return page
    if one_query and not (qs.query.distinct or qs.query.combinator):
        found = _counted_page(qs, requested, per_page, cap)
        if found is not None:
            return found
    page = BoundedPage.counted_at(requested, per_page, capped_count(qs, cap, count_order))
    page.object_list = list(_slice(qs, page.offset, per_page))
    return page


def _counted_page(qs: QuerySet, number: int, per_page: int, cap: int) -> BoundedPage | None:
    """Page `number` and the capped count in ONE query: the rows of the first
    `max(cap + 1, end of the page)` of `qs` in its order (an index walk that stops there when an
    index serves the order), counted by a window function, of which the page's rows are read.
    None for an empty page past the first or one past the browsable pages (the caller then
    counts first, as without `one_query`)."""
    offset = (number - 1) * per_page
    first = qs.values("pk")[: max(cap + 1, offset + per_page)]
    rows = list(
        qs.filter(pk__in=first).annotate(_capped_total=Window(Count("pk")))[
            offset : offset + per_page
        ]
    )
    if not rows and number > 1:
        return None
    total = rows[0]._capped_total if rows else 0
    count = CappedCount(value=min(total, cap), capped=total > cap)
    page = BoundedPage(
        number=number, per_page=per_page, count=count, object_list=rows, requested=number
    )
    return page if number <= page.num_pages else None


def _slice(qs: QuerySet, offset: int, limit: int) -> QuerySet:
    """Rows `offset` to `offset + limit` of `qs`. Past the first page this is a "deferred join":
    the inner query walks only the ordered ids (an index-only scan when an index serves the
    order) and the outer one reads and joins just the page's rows, instead of joining every
    skipped row."""
    if offset == 0 or qs.query.distinct or qs.query.combinator:
        return qs[offset : offset + limit]
    return qs.filter(pk__in=qs.values("pk")[offset : offset + limit])


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


def _after(field_name: str, moment: Any, pk: Any, descending: bool, tie_field: str = "pk") -> Q:
    # Written as a range on the leading column plus a tie-break so that an index on
    # (field, tie) bounds the scan (an OR alone would not).
    op = "lt" if descending else "gt"
    edge = "lte" if descending else "gte"
    return Q(**{f"{field_name}__{edge}": moment}) & (
        Q(**{f"{field_name}__{op}": moment}) | Q(**{f"{tie_field}__{op}": pk})
    )


def encode_id_cursor(value: int, tie: str) -> str:
    """A cursor for a list ordered by an integer column, then a short text column (the
    billing page's per-customer totals: customer id, then currency)."""
    return f"{value}.{tie}"


def decode_id_cursor(value: str) -> tuple[int, str] | None:
    number, _dot, tie = value.partition(".")
    try:
        return int(number), tie[:40]
    except ValueError:
        return None


def keyset_page(
    queryset: QuerySet[Any] | Callable[[], QuerySet[Any]],
    *,
    field_name: str,
    descending: bool,
    size: int,
    after: str = "",
    before: str = "",
    tie_field: str = "pk",
    encode: Callable[[Any, Any], str] = encode_cursor,
    decode: Callable[[str], tuple[Any, Any] | None] = decode_cursor,
    memo_key: Hashable | None = None,
    iso_moments: bool = False,
) -> KeysetPage:
    """The page after cursor `after`, before cursor `before`, or the first page. `tie_field`
    breaks ties of `field_name` (unique together with it; the pk by default), and `encode` /
    `decode` write and read the cursor of a (field, tie) pair (a moment and a pk by default;
    `encode_id_cursor` / `decode_id_cursor` for an integer and a short text).

    With `memo_key`, `queryset` is a function returning a `values_list(named=True)` queryset
    and a first or next page's SQL is compiled once per key (`portal.sqlmemo`: the key names
    everything the queryset is built from). `iso_moments` (with `memo_key`): the rows' moments
    may come as the API's ISO text (`portal.sqlmemo._run`); the links read them back."""
    if not isinstance(queryset, QuerySet):
        make = queryset
        if memo_key is None or before:
            queryset = make()
    else:
        make = None
    order: Sequence[str] = (
        [f"-{field_name}", f"-{tie_field}"] if descending else [field_name, tie_field]
    )  # the list's own order
    reverse: Sequence[str] = (
        [field_name, tie_field] if descending else [f"-{field_name}", f"-{tie_field}"]
    )

    def cursor(row: Any) -> str:
        value = getattr(row, field_name)
        if type(value) is str and iso_moments:
            value = datetime.fromisoformat(value)
        return encode(value, getattr(row, tie_field))

    before_key = decode(before) if before else None
    after_key = decode(after) if after else None
    if before_key:
        assert isinstance(queryset, QuerySet)
        rows = list(
            queryset.filter(
                _after(field_name, *before_key, descending=not descending, tie_field=tie_field)
            ).order_by(*reverse)[: size + 1]
        )
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        page = KeysetPage(rows, is_first=not more_before)
        if rows:
            page.next_cursor = cursor(rows[-1])
            if more_before:
                page.previous_cursor = cursor(rows[0])
        return page
    if memo_key is not None and make is not None:

        def build(key: tuple[Any, ...] | None) -> QuerySet[Any]:
            qs = make()
            if key is not None:
                qs = qs.filter(
                    _after(field_name, key[0], key[1], descending=descending, tie_field=tie_field)
                )
            return qs.order_by(*order)[: size + 1]

        rows = memo_rows(
            (memo_key, field_name, tie_field, descending, size),
            build,
            after_key or None,
            iso_moments=iso_moments,
        )
    else:
        assert isinstance(queryset, QuerySet)
        if after_key:
            queryset = queryset.filter(
                _after(field_name, *after_key, descending=descending, tie_field=tie_field)
            )
        rows = list(queryset.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    page = KeysetPage(rows, is_first=after_key is None)
    if rows and more:
        page.next_cursor = cursor(rows[-1])
    if rows and after_key is not None:
        page.previous_cursor = cursor(rows[0])
    return page


def keyset_page_merged(
    querysets: Sequence[QuerySet[Any] | Callable[[], QuerySet[Any]]],
    *,
    field_name: str,
    descending: bool,
    size: int,
    after: str = "",
    before: str = "",
    encode: Callable[[Any, Any], str] = encode_cursor,
    decode: Callable[[str], tuple[Any, Any] | None] = decode_cursor,
    memo_key: Hashable | None = None,
) -> KeysetPage:
    """`keyset_page` over several querysets whose rows never overlap (an invoice issued or
    received), ordered by (`field_name`, pk): the page of each, each read by its own index,
    merged. The same links as one queryset's page; a query per queryset. With `memo_key`,
    each of `querysets` is a function as `keyset_page(memo_key=...)` takes one, and its SQL is
    compiled once per key and position."""
    pages = [
        keyset_page(
            qs,
            field_name=field_name,
            descending=descending,
            size=size,
            after=after,
            before=before,
            encode=encode,
            decode=decode,
            memo_key=None if memo_key is None else (memo_key, position),
        )
        for position, qs in enumerate(querysets)
    ]
    if len(pages) == 1:
        return pages[0]
    rows = sorted(
        (row for page in pages for row in page.object_list),
        key=lambda row: (getattr(row, field_name), row.pk),
        reverse=descending,
    )

    def cursor(row: Any) -> str:
        return encode(getattr(row, field_name), row.pk)

    if before and decode(before) is not None:
        # Each part's rows just before the cursor: the closest `size` of all of them.
        more_before = len(rows) > size or any(not page.is_first for page in pages)
        rows = rows[-size:]
        page = KeysetPage(rows, is_first=not more_before)
        if rows:
            page.next_cursor = cursor(rows[-1])
            if more_before:
                page.previous_cursor = cursor(rows[0])
        return page
    more = len(rows) > size or any(page.has_next for page in pages)
    rows = rows[:size]
    after_given = bool(after) and decode(after) is not None
    page = KeysetPage(rows, is_first=not after_given)
    if rows and more:
        page.next_cursor = cursor(rows[-1])
    if rows and after_given:
        page.previous_cursor = cursor(rows[0])
    return page
