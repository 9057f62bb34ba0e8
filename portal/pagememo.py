"""A signed-in page served again, without its view, while nothing it read has changed (issue 21).

Rendering a list page costs 4-10 ms of CPU at any data size; the same page asked for again by
the same person, with nothing changed since, is the same bytes. A view opts in (`page_memo =
True` on its class, or `memo_page` on a function); its GET answers are kept in the shared cache
for `PAGE_MEMO_TTL` seconds and served again while every table the page read is unchanged.

What a kept page depends on, found rather than declared:

- **The tables it read.** Every connection of every process (web, worker, management command)
  passes its statements through `_watch`: a SELECT run while a page renders adds the tables it
  names to that page's dependencies; any other statement that names a table (INSERT, UPDATE,
  DELETE, TRUNCATE, DDL) changes those tables' tokens in the cache, once when it runs and again
  when its transaction commits (a page that read before the commit cannot keep its answer).
  A page is served only while the token of each table it read is the one it was rendered
  under. Table names are matched against every model's table, quoted or not, so raw SQL is
  seen too; only a statement that bypasses Django's cursor (COPY) is not, and the one command
  that uses it (`seed_scale`) forgets every page when it is done (`forget_all`).
- **Who asks, and how.** The key holds the full path, the language, the host, the user and
  their request-context token (a role, membership, organization or second-factor change
  deletes it: `portal/request_context.py`), the membership and organization of the request,
  the CSRF secret (the page's forms carry a token for it) and the htmx headers. Not memoised:
  a request that administers a customer on a partner's behalf (its access is checked on every
  request), one with messages waiting, one without a CSRF cookie yet.
- **The clock.** A page is kept `PAGE_MEMO_TTL` seconds at most: an "overdue" label or a
  relative date is at most that old.

A streamed CSV export of an opted-in list is kept too, once its last piece has gone out: its
rows are read while it streams, with the same watch on, and a file of at most `MAX_BYTES` is
served again whole. Not kept: any other answer than a 200 HTML page or CSV file (redirects,
errors), one that set a cookie or a message, one whose request wrote to the database, one
streamed to a reader that went away before its end, and one that read from a read replica
(`portal/dbrouter.py`: rendered from a replica behind the commit that forgot the page, it would
outlive the lag). A page's
one-time form tokens (`portal/form_tokens.py`) are kept as placeholders and each page served
carries new ones, as a render would: a second submission of one token would be taken for a
double click.

On by `PAGE_MEMO` where every process shares the cache (Redis); the embedded default's
in-process cache would not hear a write made by the worker. While Redis is unreachable nothing
is served from or kept in it, and a table token that could not be deleted then is deleted
before Redis serves anything again (`portal.cache.FORGET_ON_RECOVERY`)."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from .delegation import ACTING_FOR_SESSION_KEY
from .form_tokens import FIELD as FORM_TOKEN_FIELD
from .form_tokens import issue_form_token
from .request_context import shared_call

PREFIX = "portal:page:v1"
# Every page depends on this one too: deleting it forgets every kept page.
EVERYTHING = "*"
TOKEN_TTL_SECONDS = 86400
# A page bigger than this is rendered each time (the cache is not a file store).
MAX_BYTES = 512 * 1024
HEADER = "X-Page-Memo"
# A one-time form token's value in a kept page (`portal/form_tokens.py`), replaced by a fresh
# token in each page served: two people (or two tabs) never submit the same one.
_FORM_TOKEN_VALUE = re.compile(rf'(name="(?:[\w-]+-)?{FORM_TOKEN_FIELD}" value=")[^"]*(")'.encode())
_FRESH_TOKEN = b"\x00page-memo-form-token\x00"
# Statements that change no table's rows (an EXPLAIN of a change does not run it).
_READ_HEADS = ("SELECT", "EXPLAIN", "SHOW", "VALUES", "ANALYZE")
_WRITE_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def enabled() -> bool:
    return bool(getattr(settings, "PAGE_MEMO", False))


def _token_key(table: str) -> str:
    return f"{PREFIX}:t:{table}"


# --- what a statement reads or changes ----------------------------------------------------


@lru_cache(maxsize=1)
def _table_pattern() -> re.Pattern[str]:
    names = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"\b({alternatives})\b")


# Longer statements (a bulk INSERT's thousand rows) are read each time, not remembered.
_REMEMBERED_CHARS = 4096


def statement_tables(sql: Any) -> tuple[bool, frozenset[str]]:
    """(writes, the model tables the statement names). A SELECT, or a WITH or a `COPY (query)
    TO` that changes nothing, reads; any other statement that names a table changes it. A
    statement that is not a string (a composed one) changes every page."""
    if not isinstance(sql, str):
        return True, frozenset({EVERYTHING})
    if len(sql) > _REMEMBERED_CHARS:
        return _statement_tables(sql)
    return _remembered_statement_tables(sql)


def _statement_tables(sql: str) -> tuple[bool, frozenset[str]]:
    tables = frozenset(_table_pattern().findall(sql))
    head = sql.lstrip()[:7].upper()
    if head.startswith(_READ_HEADS):
        return False, tables
    if head.startswith(("WITH", "COPY (")):  # COPY (query) TO: reads, unless its query writes
        return bool(_WRITE_WORD.search(sql)), tables
    return bool(tables), tables


_remembered_statement_tables = lru_cache(maxsize=1024)(_statement_tables)


@dataclass
class _Render:
    """A page being rendered: the tables it read, whether it wrote, the tokens read first."""

    key: str
    view: str
    tokens: dict[str, str]
    tables: set[str] = field(default_factory=set)
    wrote: bool = False
    replica: bool = False  # read from a replica, which may lag behind a commit's forgetting


_rendering: ContextVar[_Render | None] = ContextVar("portal_page_render", default=None)


# Pages this process kept: a page kept inside a transaction that had written (a test's, or a
# command's) may hold its uncommitted rows, so its next write deletes its tokens again.
_kept = [0]


class _CommitForget:
    """One transaction's changed tables, their tokens deleted again when it commits."""

    def __init__(self) -> None:
        self.keys: set[str] = set()  # deleted when it commits
        self.deleted: set[str] = set()  # deleted already since this process last kept a page
        self.kept = _kept[0]

    def __call__(self) -> None:
        _delete(sorted(self.keys))


def _delete(keys: list[str]) -> None:
    if keys:
        shared_call("delete_many", keys)


def _changed(connection: Any, tables: frozenset[str]) -> None:
    keys = {_token_key(table) for table in tables}
    if not connection.in_atomic_block:
        _delete(sorted(keys))  # committed already (autocommit)
        return
    pending: _CommitForget | None = getattr(connection, "_page_memo_commit", None)
    if pending is None or not any(func is pending for _, func, _ in connection.run_on_commit):
        # None yet in this transaction (or a rollback discarded it).
        pending = _CommitForget()
        connection._page_memo_commit = pending
        connection.on_commit(pending)
    pending.keys |= keys
    if pending.kept != _kept[0]:
        pending.kept = _kept[0]
        pending.deleted = set()
    new = keys - pending.deleted
    if new:
        pending.deleted |= new
        _delete(sorted(new))


def _watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    writes, tables = statement_tables(sql)
    render = _rendering.get()
    if not writes:
        if render is not None:
            render.tables |= tables
            if context["connection"].alias != DEFAULT_DB_ALIAS:
                render.replica = True
        return execute(sql, params, many, context)
    result = execute(sql, params, many, context)
    if render is not None:
        render.wrote = True
    _changed(context["connection"], tables)
    return result


def _watch_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Each connection reports what it changes: added once per connection object."""
    if enabled() and _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


connection_created.connect(_watch_connection, dispatch_uid="portal.pagememo.watch")


def forget_all() -> None:
    """Every kept page is rendered again (after writes Django's cursor did not see)."""
    if enabled():
        _delete([_token_key(EVERYTHING)])


# --- the pages -----------------------------------------------------------------------------


def memo_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Opt a function view in (a class sets `page_memo = True`)."""
    view.page_memo = True  # type: ignore[attr-defined]
    return view


def _opted_in(view_func: Any) -> bool:
    view_class = getattr(view_func, "view_class", None)
    return bool(getattr(view_class or view_func, "page_memo", False))


def _view_name(view_func: Any) -> str:
    target = getattr(view_func, "view_class", None) or view_func
    return f"{target.__module__}.{target.__qualname__}"


def page_key(request: HttpRequest) -> str | None:
    """The page's key, None when this request is not memoised."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    session = request.session
    if session.get(ACTING_FOR_SESSION_KEY) or "_messages" in session:
        return None
    if "messages" in request.COOKIES:
        return None
    csrf_secret = request.META.get("CSRF_COOKIE")
    context = getattr(request, "_portal_context", None)
    token = context.user_token if context is not None else None
    if not csrf_secret or token is None:
        return None
    membership = getattr(request, "membership", None)
    organization = getattr(request, "organization", None)
    parts = (
        request.get_full_path(),
        request.get_host(),
        request.is_secure(),
        getattr(request, "LANGUAGE_CODE", ""),
        user.pk,
        token,
        getattr(membership, "pk", None),
        getattr(organization, "pk", None),
        csrf_secret,
        request.headers.get("HX-Request"),
        request.headers.get("HX-Target"),
        request.headers.get("HX-Trigger"),
        request.headers.get("HX-Boosted"),
    )
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()
    return f"{PREFIX}:p:{digest}"


# The tables each view read the last time (per process): read their tokens before the view
# runs, so that the page can be kept under tokens older than its reads.
_READS: dict[str, frozenset[str]] = {}


def _current_tokens(tables: frozenset[str]) -> dict[str, str] | None:
    keys = {_token_key(table): table for table in tables}
    found = shared_call("get_many", list(keys))
    if found is None:
        return None
    tokens = {keys[key]: value for key, value in found.items()}
    for key, table in keys.items():
        if table in tokens:
            continue
        # None yet (or expired): start one; a concurrent request may have started it first.
        if shared_call("add", key, secrets.token_hex(8), TOKEN_TTL_SECONDS) is None:
            return None
        value = shared_call("get", key)
        if value is None:
            return None
        tokens[table] = value
    return tokens


def _unchanged(deps: dict[str, str]) -> bool:
    """Every table a kept answer read still has the token it was read under."""
    found = shared_call("get_many", [_token_key(table) for table in deps])
    if found is None or len(found) != len(deps):
        return False
    return all(found.get(_token_key(table)) == token for table, token in deps.items())


def _served(request: HttpRequest, key: str) -> HttpResponse | None:
    entry = shared_call("get", key)
    if not entry:
        return None
    if not _unchanged(entry["deps"]):
        return None
    content: bytes = entry["content"]
    if entry["form_tokens"]:
        first, *rest = content.split(_FRESH_TOKEN)
        content = first + b"".join(issue_form_token().encode() + part for part in rest)
    response = HttpResponse(content, status=200)
    for name, value in entry["headers"]:
        response.headers[name] = value
    response.headers[HEADER] = "hit"
    if entry["csrf"]:
        # As the render did: the CSRF cookie is sent again to renew its expiry.
        from django.middleware.csrf import get_token

        get_token(request)
    return response


def _learn(render: _Render) -> None:
    """Adds the tables this render read to its view's, read first next time (`_READS`)."""
    _READS[render.view] = frozenset(render.tables | _READS.get(render.view, frozenset()))


def _keepable(render: _Render, response: HttpResponseBase) -> bool:
    """A 200 HTML page, or a streamed CSV file, that set no cookie, from a render that neither
    wrote nor read a replica."""
    if render.wrote or render.replica or response.status_code != 200 or response.cookies:
        return False
    kind = response.get("Content-Type", "")
    return kind.startswith("text/csv") if response.streaming else kind.startswith("text/html")


def _keep(request: HttpRequest, render: _Render, response: HttpResponseBase) -> None:
    _learn(render)
    if not _keepable(render, response):
        return
    if isinstance(response, StreamingHttpResponse):
        # Kept as it streams, once its last piece has gone out (issue 21: a small export
        # asked for again is the same file while nothing it read changed).
        if not response.is_async:  # (an async stream is never kept: the portal is served by WSGI)
            pieces = cast(Iterator[bytes], response.streaming_content)
            response.streaming_content = _teed(request, render, response, pieces)
        return
    if _store(request, render, response, response.content):  # type: ignore[attr-defined]
        response.headers[HEADER] = "miss"


def _teed(
    request: HttpRequest, render: _Render, response: HttpResponseBase, pieces: Iterator[bytes]
) -> Iterator[bytes]:
    """The streamed file's pieces, each read with the render's watch on (the rows are read as
    they stream), and a copy kept once the last one is out: not when the file is bigger than
    MAX_BYTES, nor when the reader went away before the end (the generator is closed)."""
    kept: list[bytes] | None = []
    size = 0
    iterator = iter(pieces)
    while True:
        watching = _rendering.set(render)
        try:
            piece = next(iterator)
        except StopIteration:
            break
        finally:
            _rendering.reset(watching)
        if kept is not None:
            size += len(piece)
            if size > MAX_BYTES:
                kept = None
            else:
                kept.append(piece)
        yield piece
    _learn(render)
    if kept is not None and _keepable(render, response):
        _store(request, render, response, b"".join(kept))


def _store(
    request: HttpRequest, render: _Render, response: HttpResponseBase, content: bytes
) -> bool:
    """Keeps the answer's body and headers under the tokens read before the view; False when
    it may not be kept."""
    if len(content) > MAX_BYTES or _FRESH_TOKEN in content:
        return False
    # Messages shown (or added) by this render: the next one would show others.
    wrapped = getattr(getattr(request, "_messages", None), "_wrapped", None)
    if hasattr(wrapped, "__len__") and len(wrapped):  # type: ignore[arg-type]
        return False
    deps = render.tables | {EVERYTHING}
    if not deps <= render.tokens.keys():
        return False  # read a table whose token was not read first: kept next time
    content, form_tokens = _FORM_TOKEN_VALUE.subn(rb"\1" + _FRESH_TOKEN + rb"\2", content)
    _kept[0] += 1
    shared_call(
        "set",
        render.key,
        {
            "deps": {table: render.tokens[table] for table in deps},
            "content": content,
            "headers": [
                (name, value)
                for name, value in response.headers.items()
                if name.lower() in _KEPT_HEADERS
            ],
            "csrf": bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE")),
            "form_tokens": form_tokens,
            "at": time.time(),
        },
        getattr(settings, "PAGE_MEMO_TTL", 60),
    )
    return True


_KEPT_HEADERS = frozenset(
    ("content-type", "content-disposition", "cache-control", "vary", "x-robots-tag")
)


def kept_value[T](name: str, parts: tuple[Any, ...], make: Callable[[], T]) -> T:
    """`make()`'s answer, kept like a page: served again while every table it read is
    unchanged, for at most `PAGE_MEMO_TTL` seconds. For what is not a whole page, such as an
    API list's rows, whose request still runs everything around it (the client's token, its
    rate limit, its call log). `name` names the reader (the tables it read last time are read
    first, as a view's); `parts` are everything else the answer is built from (the
    organization, the filters, the cursor, the language and zone), never a value another
    query read. Computed afresh when the memo is off, inside a page being kept (that page
    watches), and when `make` writes or reads a replica; the answer must pickle."""
    if not enabled() or _rendering.get() is not None:
        return make()
    digest = hashlib.blake2b(repr((name, parts)).encode(), digest_size=20).hexdigest()
    key = f"{PREFIX}:v:{digest}"
    # One round trip: the kept answer and the tokens of the tables this reader read last time.
    token_keys = {_token_key(table): table for table in _READS.get(name, set()) | {EVERYTHING}}
    found = shared_call("get_many", [key, *token_keys])
    if found is None:
        return make()
    entry = found.pop(key, None)
    tokens = {token_keys[token_key]: token for token_key, token in found.items()}
    if entry:
        deps: dict[str, str] = entry["deps"]
        if deps.keys() <= tokens.keys():
            if all(tokens[table] == token for table, token in deps.items()):
                return cast(T, entry["value"])
        elif _unchanged(deps):
            return cast(T, entry["value"])
    missing = frozenset(token_keys.values()) - tokens.keys()
    if missing:
        started = _current_tokens(missing)
        if started is None:
            return make()
        tokens |= started
    render = _Render(key=key, view=name, tokens=tokens)
    watching = _rendering.set(render)
    try:
        value = make()
    finally:
        _rendering.reset(watching)
    _learn(render)
    read = render.tables | {EVERYTHING}
    if not (render.wrote or render.replica) and read <= tokens.keys():
        _kept[0] += 1
        shared_call(
            "set",
            key,
            {"deps": {table: tokens[table] for table in read}, "value": value},
            getattr(settings, "PAGE_MEMO_TTL", 60),
        )
    return value


class PageMemoMiddleware:
    """Serves an opted-in GET page from the cache, or keeps the page its view rendered. Last in
    MIDDLEWARE: every layer before it (the tenant, the second factor, rate limits) still runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        render: _Render | None = getattr(request, "_page_render", None)
        if render is not None:
            _rendering.set(None)
            _keep(request, render, response)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if request.method != "GET" or not enabled() or not _opted_in(view_func):
            return None
        key = page_key(request)
        if key is None:
            return None
        served = _served(request, key)
        if served is not None:
            return served
        view = _view_name(view_func)
        tokens = _current_tokens(_READS.get(view, frozenset()) | {EVERYTHING})
        if tokens is None:
            return None
        render = _Render(key=key, view=view, tokens=tokens)
        request._page_render = render  # type: ignore[attr-defined]
        _rendering.set(render)
        return None
