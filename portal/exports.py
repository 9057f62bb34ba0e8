"""CSV exports of any size: streamed at once when small, prepared by a worker when large.

Feature apps register their export kinds here in `AppConfig.ready()` (as they register their
dashboard panels), so the core never imports them. A kind says which rule lets a member see the
list and how to build the export from an organization and the list's filters (`ExportSource`:
the queryset, the translated header and the rows). The list's export URL calls
`export_response()`: an export of at most `PORTAL_EXPORT_STREAM_MAX_ROWS` rows streams as before
(a `LIMIT N+1` count decides, whatever the list's size); a larger one answers a page that offers
to prepare it in the background (`portal.export_services`), which writes the same columns with
the same code, in the requester's language.

An export whose every cell the database can compute gives them as `ExportSource.cells` (a
`values_list` queryset, one column per cell). On PostgreSQL its streamed file is then written by
the server itself (`COPY (…) TO STDOUT (FORMAT csv)`) and Python only passes the lines on: a
reseller's 1,508-row billing export grew its request by ~12 µs a row when Python read and wrote
each cell, ~5 µs now, most of it PostgreSQL's (issue 21). Elsewhere (SQLite), and for the
worker, the same queryset's rows go through `csv.writer`: the same cells, the same file."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import formats
from psycopg import pq

from .models import Membership, Organization
from .policy import RULES, Action, can
from .selectors import recent_exports

# Rows formatted and written per piece of a streamed response (one `writerows` call).
ROWS_PER_PIECE = 1000
# Rows read per fetch when the cells' rows go through Python (a server-side cursor).
CELLS_CHUNK = 2000
# Filters that never change what an export holds.
IGNORED_PARAMS = ("format", "page", "after", "before", "v", "fragment")


@dataclass
class ExportSource:
    """What an export writes: `queryset` (counted to choose streaming or background), the header
    (already translated) and the rows, given one of two ways:
    - `rows()`, each row a sequence of cells built in Python (already made safe with `csv_safe`
      where they hold text a person typed);
    - `cells`, a `values_list` queryset whose columns are the cells, computed by the database
      (made safe with `csv_safe_sql`; an empty cell is NULL, as `COPY` writes "" for an empty
      string). PostgreSQL then writes a streamed file itself."""

    queryset: QuerySet
    header: Sequence[str]
    rows: Callable[[], Iterator[Sequence[Any]]] | None = None
    cells: QuerySet | None = None

    def row_iterator(self) -> Iterator[Sequence[Any]]:
        """Every row, as sequences of cells (for `csv.writer`)."""
        if self.cells is not None:
            return self.cells.iterator(chunk_size=CELLS_CHUNK)
        assert self.rows is not None, "an ExportSource needs rows() or cells"
        return self.rows()


@dataclass(frozen=True)
class ExportKind:
    name: str
    title: Any  # a lazy translation: "Customers"
    filename: str
    list_url: str  # the list's URL name (the export page links back to it)
    action: Action
    source: Callable[[Organization, QueryDict], ExportSource]
    organization_kinds: frozenset[str] | None = None

    def allowed(self, membership: Membership) -> bool:
        """The member may see the list this export comes from (as `TenantViewMixin` decides)."""
        kinds, _roles = RULES[self.action]
        if self.organization_kinds is not None:
            kinds = kinds & self.organization_kinds
        return membership.organization.kind in kinds and can(membership, self.action)


_KINDS: dict[str, ExportKind] = {}


def register_export(kind: ExportKind) -> None:
    _KINDS[kind.name] = kind


def export_kind(name: str) -> ExportKind | None:
    return _KINDS.get(name)


def export_params(query: QueryDict) -> dict[str, list[str]]:
    """The filters of a list's query string as stored on an `Export` (key → values)."""
    return {key: values for key, values in query.lists() if key not in IGNORED_PARAMS and values}


def params_query(params: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in params.items():
        query.setlist(key, [str(value) for value in values])
    return query


def rows_up_to(queryset: QuerySet, limit: int) -> int:
    """How many rows, counting at most `limit` (a `LIMIT` subquery: it stops early)."""
    return queryset.order_by()[:limit].count()


def csv_pieces(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text, ROWS_PER_PIECE lines per piece (one `writerows` call each: a line per row
    costs a Python call per row for nothing)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    iterator = iter(rows)
    while chunk := list(islice(iterator, ROWS_PER_PIECE)):
        writer.writerows(chunk)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # no rows: the header alone
        yield buffer.getvalue()


def _through_wrappers(connection: Any, cursor: Any, sql: str, params: Any, run: Callable) -> Any:
    """`run(sql, params, many, context)` behind the connection's execute wrappers, as Django runs
    a query: the query count (`portal.metrics`) and the page memo (which tables a page read,
    `portal.pagememo`) see the `COPY` like any statement."""
    executor = run
    for wrapper in reversed(connection.execute_wrappers):
        executor = partial(wrapper, executor)
    return executor(sql, params, False, {"connection": connection, "cursor": cursor})


def copy_pieces(header: Sequence[str], cells: QuerySet) -> Iterator[bytes]:
    """The CSV file of `cells` written by PostgreSQL (`COPY … TO STDOUT`), ROWS_PER_PIECE rows
    per piece, with the header and the line ends `csv.writer` writes (CRLF). libpq hands over
    one row at a time, so only each row's own last byte is its line end: a line break inside a
    quoted cell stays as it is."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(header)
    connection = connections[cells.db]
    sql, params = cells.query.get_compiler(using=cells.db).as_sql()
    statement = f"COPY ({sql}) TO STDOUT (FORMAT csv)"
    with connection.cursor() as cursor:
        debug = getattr(cursor, "debug_sql", None)  # tests' captured queries list it
        with (
            debug(statement, params) if debug else nullcontext(),
            _through_wrappers(
                connection,
                cursor,
                statement,
                params,
                lambda sql, params, _many, _context: cursor.cursor.copy(sql, params),
            ) as copy,
        ):
            # The first piece starts with the header (csv.writer's line, without its end).
            lines: list[Any] = [buffer.getvalue().encode()[:-2]]
            rows = 0
            for row in _copied_rows(copy, cursor.cursor):
                lines.append(row[:-1])
                rows += 1
                if rows == ROWS_PER_PIECE:
                    lines.append(b"")
                    yield b"\r\n".join(lines)
                    lines.clear()
                    rows = 0
            if lines:
                lines.append(b"")
                yield b"\r\n".join(lines)


def _copied_rows(copy: Any, cursor: Any) -> Iterator[Any]:
    """The rows of a `COPY … TO STDOUT`, one line each. Each row libpq already holds is taken
    with one call of the C library (`PGconn.get_copy_data`, never blocking); psycopg's own
    reader, which waits on the socket, only when none is ready: reading a reseller's 1,508-row
    billing export cost 2.1 ms of CPU through psycopg's reader alone, 1.2 ms this way."""
    pgconn = cursor.connection.pgconn
    while True:
        size, data = pgconn.get_copy_data(1)
        if size > 0:
            yield data
        elif size == 0:  # nothing received yet: wait for it the usual way
            if not (data := copy.read()):
                return  # the end, and its final result read by psycopg
            yield data
        else:  # the end: its final result, which psycopg's reader would have read
            while (result := pgconn.get_result()) is not None:
                if result.status != pq.ExecStatus.COMMAND_OK:
                    raise DatabaseError(
                        result.error_message.decode(errors="replace").strip() or "COPY failed"
                    )
            return


def stream_pieces(source: ExportSource) -> Iterator[str] | Iterator[bytes]:
    """The pieces of the file a request streams: written by PostgreSQL when the database
    computes every cell, else by `csv.writer`."""
    cells = source.cells
    if cells is not None and connections[cells.db].vendor == "postgresql":
        return copy_pieces(source.header, cells)
    return csv_pieces(source.header, source.row_iterator())


def csv_stream(source: ExportSource, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream_pieces(source), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_response(
    request: HttpRequest,
    *,
    kind_name: str,
    source: ExportSource,
) -> HttpResponse | StreamingHttpResponse:
    """The list's export: the CSV itself when it is small enough to stream well within a
    request, else a page (no side effect: a GET) offering to prepare it in the background."""
    kind = _KINDS[kind_name]
    limit = settings.PORTAL_EXPORT_STREAM_MAX_ROWS
    found = rows_up_to(source.queryset, limit + 1)
    if found <= limit:
        return csv_stream(source, kind.filename)
    return render(
        request,
        "portal/export_offer.html",
        {
            "kind": kind,
            "limit": formats.number_format(limit, force_grouping=True),
            "query": export_params_query(request.GET),
            "recent": recent_exports(
                organization=request.membership.organization,  # type: ignore[attr-defined]
                kind=kind.name,
            ),
        },
    )


def export_params_query(query: QueryDict) -> str:
    return params_query(export_params(query)).urlencode()
