"""A keyset list's SQL, compiled by the ORM once per process and shape, then run with each
page's own cursor.

Building and compiling a list's queryset (its columns, joins and order) costs more CPU than
PostgreSQL spends running a page of it: for the API's subscriptions page 0.9 ms of ORM against
0.5 ms of query (`bench/page_cpu.py`, issue 24). The SQL of such a page depends on who asks and
with which filters, and on whether a cursor is given; the cursor's values are the only ones that
change from one page to the next. `memo_rows` compiles the page's queryset once with marker
values in the cursor's place, remembers the SQL and where each marker went, and runs that SQL
again with the next cursor's values.

The caller's `key` must name everything the queryset is built from apart from the cursor (the
organization's id and kind, the filters' values): a queryset whose parameters come from
anything else (the clock, another query's result) must not be memoised. The organization's id
in the key keeps one tenant's SQL from ever serving another. A queryset the memo cannot replay
exactly (a column with a converter, a marker that did not come out as a parameter) is run by the
ORM every time instead."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import JSONField, QuerySet, TextField
from django.db.models.functions import Cast
from django.db.models.utils import create_namedtuple_class

# Values no cursor carries, each found again by equality among the compiled parameters.
MARKS: tuple[Any, ...] = (datetime(1, 1, 1, 0, 0, 0, 271_828, tzinfo=UTC), -7_319_024_650_183)

# `memo_rows_of_ids`' markers: ids no table holds (counting down from this one).
ID_MARK = -7_319_024_650_000

# `memo_rows_of_term`'s marker: a term no one searches for, letters and digits (LIKE escapes
# nothing in it).
TERM_MARK = "sqlmemoterm7319024649999"

# Shapes kept per process: an organization's lists and filters; the least recently used go.
SIZE = 1024


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int | None, ...]  # per parameter: the cursor value it takes, or None
    row: type  # the named tuple of `values_list(named=True)`
    model: type  # where the router sends its reads


_UNSAFE = object()  # a shape the ORM runs every time
_memo: OrderedDict[Hashable, _Compiled | object] = OrderedDict()
_lock = threading.Lock()


def _remember(key: Hashable, value: _Compiled | object) -> None:
    with _lock:
        _memo[key] = value
        _memo.move_to_end(key)
        while len(_memo) > SIZE:
            _memo.popitem(last=False)


def clear() -> None:
    with _lock:
        _memo.clear()


def _compiled(full_key: Hashable, compile_: Callable[[], Any]) -> Any:
    """What `full_key` compiled to (`compile_()`'s answer on its first use, remembered), or
    None for a shape the ORM must run every time."""
    compiled = _memo.get(full_key)
    if compiled is None:
        compiled = compile_() or _UNSAFE
        _remember(full_key, compiled)
    return None if compiled is _UNSAFE else compiled


def _compile(
    queryset: QuerySet, cursor_given: bool, marks: Sequence[Any] = MARKS
) -> _Compiled | None:
    fields: Sequence[str] = queryset._fields  # type: ignore[attr-defined]
    if not fields:
        return None
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # `.none()`: nothing to run, the ORM answers it without a query
        return None
    if compiler.get_converters([column for column, _alias, _x in compiler.select[: len(fields)]]):
        return None
    if len(compiler.select) != len(fields):
        return None
    slots = tuple(
        next((n for n, mark in enumerate(marks) if type(p) is type(mark) and p == mark), None)
        for p in params
    )
    if cursor_given and not all(n in slots for n in range(len(marks))):
        return None
    return _Compiled(sql, tuple(params), slots, create_namedtuple_class(*fields), queryset.model)


def memo_rows(
    key: Hashable,
    build: Callable[[tuple[Any, ...] | None], QuerySet],
    cursor: tuple | None,
    *,
    iso_moments: bool = False,
) -> list[Any]:
    """The rows of `build(cursor)` (a `values_list(named=True)` queryset, ordered and
    sliced), compiled once per `key` and whether a cursor is given. `iso_moments`: see
    `_run`."""
    compiled = _compiled(
        (key, cursor is not None),
        lambda: _compile(build(MARKS if cursor is not None else None), cursor is not None),
    )
    if compiled is None:
        return list(build(cursor))
    return _run(compiled, cursor, iso_moments=iso_moments)


def memo_rows_of_ids(
    key: Hashable, build: Callable[[list[int]], QuerySet], ids: Sequence[int]
) -> list[Any]:
    """The rows of `build(ids)` (a `values_list(named=True)` queryset read for a page's ids:
    `pk__in=ids`, `case_id__in=ids`), compiled once per `key` and number of ids: `memo_rows`
    with one marker per id (the review queue's rows, issue 21). `ids` are distinct."""
    marks = [ID_MARK - n for n in range(len(ids))]
    compiled = _compiled((key, "ids", len(ids)), lambda: _compile(build(marks), True, marks))
    if compiled is None:
        return list(build(list(ids)))
    return _run(compiled, ids)


def id_array(ids: Sequence[int]) -> str:
    """`ids` as one PostgreSQL array literal (`'{1,2,3}'`), a single text parameter that the
    query casts (`= ANY(%s::bigint[])`, relationships.lists.IdsIn)."""
    return f"{{{','.join(map(str, ids))}}}"


def memo_rows_of_term(key: Hashable, build: Callable[[str], QuerySet], term: str) -> list[Any]:
    """The rows of `build(term)` (a `values_list(named=True)` queryset that looks for `term`
    with `contains` / `icontains` lookups, each a `%term%` parameter), compiled once per `key`
    whatever the term: a search's matching organizations, on every searched list page. Where
    the term comes out otherwise too (another lookup), the ORM reads every request."""

    def compile_term() -> _Compiled | None:
        found = _compile(build(TERM_MARK), True, (f"%{TERM_MARK}%",))
        if found is not None and any(
            isinstance(value, str) and TERM_MARK in value
            for value, slot in zip(found.params, found.slots, strict=True)
            if slot is None
        ):
            return None  # the term came out elsewhere too (another lookup)
        return found

    compiled = _compiled((key, "term"), compile_term)
    if compiled is None:
        return list(build(term))
    ops = connections[router.db_for_read(compiled.model)].ops
    return _run(compiled, (f"%{ops.prep_for_like_query(term)}%",))


def _value_marks(values: Sequence[str | int]) -> list[str | int]:
    """`memo_rows_of_values`' markers: a text no one types, with a `%` that a lookup escaping its
    value for LIKE would change (the marker is then not found and the ORM reads), or an id no
    table holds, one per value."""
    return [
        f"{TERM_MARK}%{n}" if isinstance(value, str) else ID_MARK - n
        for n, value in enumerate(values)
    ]


def memo_rows_of_values(
    key: Hashable, build: Callable[..., QuerySet], values: Sequence[str | int]
) -> list[Any]:
    """The rows of `build(*values)` (a `values_list(named=True)` queryset that passes each
    value to the database as it is: `exact`, and `iexact` on PostgreSQL), compiled once per
    `key`, which names everything else the queryset is built from. Where a value is changed
    on its way (SQLite's `iexact` escapes it for LIKE), the ORM reads every time."""
    marks = _value_marks(values)
    compiled = _compiled(
        (key, "values", tuple(type(value) for value in values)),
        lambda: _compile(build(*marks), True, marks),
    )
    if compiled is None:
        return list(build(*values))
    return _run(compiled, values)


def _run(
    compiled: _Compiled, cursor: Sequence[Any] | None, *, iso_moments: bool = False
) -> list[Any]:
    """The compiled SQL run with the values of `cursor` in its markers' places.

    `iso_moments`: each moment (timestamptz) read from PostgreSQL in UTC comes as the text an
    API writes for it, `datetime.isoformat()` with `Z` (`2026-11-03T09:30:00.120000Z`), made
    from PostgreSQL's own text instead of a datetime built, converted and written again (a
    50-row page of subscriptions holds 200 moments: ~1 ms of CPU). A moment that text cannot
    stand for (another database, a year past 9999) is a datetime as always."""
    params = [
        value if slot is None else cursor[slot]  # type: ignore[index]
        for value, slot in zip(compiled.params, compiled.slots, strict=True)
    ]
    new = tuple.__new__
    row = compiled.row
    connection = connections[router.db_for_read(compiled.model)]
    with connection.cursor() as db_cursor:
        if iso_moments and connection.vendor == "postgresql" and connection.timezone_name == "UTC":
            _read_moments_as_iso(db_cursor.cursor)
        db_cursor.execute(compiled.sql, params)
        return [new(row, values) for values in db_cursor.fetchall()]


@dataclass(frozen=True)
class _Counted:
    sql: str
    params: tuple[Any, ...]
    model: type  # where the router sends its reads


def memo_count(key: Hashable, build: Callable[[], QuerySet]) -> int:
    """`build().count()` (a capped count's sliced `values("pk")`: `paging.capped_count`), its
    SQL compiled once per `key`, which names everything the queryset is built from. The
    dashboard's panels count on every load; compiling the count cost ~1 ms of CPU (issue 21)."""

    def compile_count() -> _Counted | None:
        queryset = build()
        try:
            sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
        except EmptyResultSet:
            return None
        # The SQL is Django's own compilation of the queryset; values stay parameters.
        return _Counted(
            f"SELECT COUNT(*) FROM ({sql}) counted",  # noqa: S608
            tuple(params),
            queryset.model,
        )

    compiled = _compiled((key, "count"), compile_count)
    if compiled is None:
        return build().count()
    with connections[router.db_for_read(compiled.model)].cursor() as db_cursor:
        db_cursor.execute(compiled.sql, compiled.params)
        return int(db_cursor.fetchone()[0])


def memo_rows_at(
    key: Hashable, build: Callable[[datetime], QuerySet], moment: datetime
) -> list[Any]:
    """The rows of `build(moment)` (a `values_list(named=True)` queryset whose one changing value
    is a moment, the clock's: an inbox's `expires_at > now`), compiled once per `key`, which
    names everything else the queryset is built from (the dashboard's inbox panel, issue 21)."""
    compiled = _compiled((key, "at"), lambda: _compile(build(MARKS[0]), True, MARKS[:1]))
    if compiled is None:
        return list(build(moment))
    return _run(compiled, (moment,))


@dataclass(frozen=True)
class _RelatedRead:
    """One model of a `memo_instance` read: where it hangs (its path of relation names from the
    read model), its columns (`values_list` names) and which of them are JSON read as text."""

    path: tuple[str, ...]
    model: Any
    attnames: tuple[str, ...]
    columns: tuple[str, ...]
    json_at: frozenset[int]


@lru_cache(maxsize=64)
def _related_reads(model: Any, paths: tuple[tuple[str, ...], ...]) -> tuple[_RelatedRead, ...]:
    reads = []
    for number, path in enumerate(paths):
        related = model
        for name in path:
            related = related._meta.get_field(name).related_model
        prefix = "".join(f"{name}__" for name in path)
        fields = related._meta.concrete_fields
        json_at = frozenset(n for n, field in enumerate(fields) if isinstance(field, JSONField))
        columns = tuple(
            f"json{number}x{n}" if n in json_at else prefix + field.attname
            for n, field in enumerate(fields)
        )
        attnames = tuple(field.attname for field in fields)
        reads.append(_RelatedRead(path, related, attnames, columns, json_at))
    return tuple(reads)


def memo_instance(
    key: Hashable,
    model: Any,
    paths: tuple[tuple[str, ...], ...],
    build: Callable[..., QuerySet],
    values: Sequence[str | int],
) -> Any | None:
    """The one `model` instance `build(*values)` finds (a queryset of `model` filtered by the
    values as `memo_rows_of_values` passes them), with the related objects at `paths` cached on
    it as `select_related` leaves them: `paths` starts with `()` (the instance) and names each
    relation from it, parents first (`("organization",), ("organization", "country")`). Every
    column is read as a plain value through SQL compiled once per `key` and the instances are
    the ORM's own, built by `from_db`: compiling the joins cost more CPU than running them
    (issue 21). A JSON column is read as text and parsed here, since its converter would keep
    the memo from replaying the SQL. None when nothing matches."""
    reads = _related_reads(model, paths)

    def row_query(*marks: Any) -> QuerySet:
        as_text = {
            part.columns[n]: Cast(
                "".join(f"{name}__" for name in part.path) + part.attnames[n], TextField()
            )
            for part in reads
            for n in part.json_at
        }
        names = [column for part in reads for column in part.columns]
        return build(*marks).annotate(**as_text).order_by().values_list(*names, named=True)[:1]

    rows = memo_rows_of_values(key, row_query, values)
    if not rows:
        return None
    found = tuple(rows[0])
    db = router.db_for_read(model)
    built: dict[tuple[str, ...], Any] = {}
    start = 0
    for part in reads:
        chunk = list(found[start : start + len(part.columns)])
        start += len(part.columns)
        for n in part.json_at:
            if chunk[n] is not None:
                chunk[n] = json.loads(chunk[n])
        # No row (a missing object, or one under a missing object): as `select_related` does.
        instance = None
        if chunk[part.attnames.index(part.model._meta.pk.attname)] is not None:
            instance = part.model.from_db(db, part.attnames, chunk)
        built[part.path] = instance
        parent = built.get(part.path[:-1]) if part.path else None
        if parent is not None:
            field = parent._meta.get_field(part.path[-1])
            if instance is None and field.one_to_one and not field.concrete:
                parent._state.fields_cache[field.cache_name] = None
            else:
                setattr(parent, part.path[-1], instance)
    return built[()]


def _read_moments_as_iso(psycopg_cursor: Any) -> None:
    """This cursor's timestamptz values (text format) read by `_iso_moment_loader`."""
    from psycopg import pq

    adapters = psycopg_cursor.adapters
    usual = adapters.get_loader(_timestamptz_oid(), pq.Format.TEXT)
    adapters.register_loader("timestamptz", _iso_moment_loader(usual))


@lru_cache(maxsize=1)
def _timestamptz_oid() -> int:
    from psycopg.postgres import types

    return int(types["timestamptz"].oid)


@lru_cache(maxsize=8)
def _iso_moment_loader(usual: type) -> type:
    """A loader of PostgreSQL's text for a UTC timestamptz (`2026-11-03 09:30:00.12+00`, its
    fraction without trailing zeros, none at all for whole seconds) as `isoformat()` writes the
    moment, `Z` for the offset; any other text (a year past 9999, BC, infinity, another
    offset) loaded by `usual`, the connection's own loader, as a datetime."""
    from psycopg.adapt import Loader

    class IsoMomentLoader(Loader):
        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._usual = usual(oid, context)

        def load(self, data: Any) -> Any:
            text = bytes(data).decode("ascii", "replace")
            if text[4:5] == "-" and text[10:11] == " " and text.endswith("+00"):
                if len(text) == 22:
                    return f"{text[:10]}T{text[11:19]}Z"
                if 24 <= len(text) <= 29 and text[19] == ".":
                    return f"{text[:10]}T{text[11:19]}.{text[20:-3]:0<6}Z"
            return self._usual.load(data)

    return IsoMomentLoader
