"""Read-replica routing for the list pages and exports, off unless DATABASE_REPLICA_URL is set.

With a replica configured (portal/settings/base.py adds the `replica` alias, this router and
`ReplicaPinMiddleware`), a query goes to the replica only when all of these hold:

- it is a read made inside `replica_reads()`: the GET of a list page or an export
  (`ReplicaReadsMixin`), or a streamed export's rows (`replica_iter`);
- the request has written nothing yet: after its first write every read of the request stays on
  the primary, so it sees what it just wrote;
- the person wrote nothing in the last DATABASE_REPLICA_PIN_SECONDS: a write sets a short-lived
  cookie that keeps their next requests on the primary, so a list shown right after a POST
  (the redirect after an invitation) is never older than the change they made, whatever the lag;
- no transaction is open on the primary.

Everything else (the session, the signed-in user, the membership and its roles, every write,
every detail page and every action) reads and writes the primary: a role change or a removal
takes effect on the next request whatever the replica's lag. docs/scaling.md says what the lag
can still show (other people's changes, seconds late on a list)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

REPLICA = "replica"
# Set on a response whose request wrote to the database; while present, reads stay on the primary.
PIN_COOKIE = "portal_primary"
# Writes that do not count as the person's change (the session row is saved on many requests).
_UNPINNED_APPS = {"sessions"}


@dataclass
class _Scope:
    replica: bool = False  # inside a list page or an export
    primary_only: bool = False  # the request wrote, or the person wrote a moment ago
    wrote: bool = False


_scope: ContextVar[_Scope | None] = ContextVar("portal_replica_scope", default=None)


def replica_enabled() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may go to the replica (until the block writes)."""
    scope = _scope.get()
    if scope is None:
        token = _scope.set(_Scope(replica=True))
        try:
            yield
        finally:
            _scope.reset(token)
        return
    previous = scope.replica
    scope.replica = True
    try:
        yield
    finally:
        scope.replica = previous


def replica_iter[T](chunks: Iterable[T]) -> Iterator[T]:
    """`chunks` (a streamed export's lines) read inside `replica_reads()`, one chunk at a time:
    the server iterates a streaming response after the view and the middleware have returned.
    A request that wrote before it returned keeps its export on the primary."""
    current = _scope.get()
    primary_only = current is not None and current.primary_only
    iterator = iter(chunks)
    while True:
        token = _scope.set(_Scope(replica=True, primary_only=primary_only))
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _scope.reset(token)
        yield chunk


class ReplicaRouter:
    """DATABASE_ROUTERS entry when DATABASE_REPLICA_URL is set (see the module docstring)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        scope = _scope.get()
        if (
            scope is not None
            and scope.replica
            and not scope.primary_only
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        # Explicitly the primary: an object read from the replica must not pull its related
        # objects, or its own save(), onto the replica (Django falls back to the object's alias).
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        scope = _scope.get()
        if scope is not None and model._meta.app_label not in _UNPINNED_APPS:
            scope.primary_only = scope.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # one database, two doors

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


class ReplicaPinMiddleware:
    """One scope per request: reads stay on the primary while the pin cookie is there, and a
    request that wrote sets it (DATABASE_REPLICA_PIN_SECONDS)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        scope = _Scope(primary_only=PIN_COOKIE in request.COOKIES)
        token = _scope.set(scope)
        try:
            response = self.get_response(request)
        finally:
            _scope.reset(token)
        if scope.wrote:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


class ReplicaReadsMixin:
    """For a list page's or an export's view, after TenantViewMixin (whose checks read the
    primary): its GET reads through `replica_reads()`, a streamed answer too."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        handler = super().dispatch  # type: ignore[misc]
        if request.method not in ("GET", "HEAD"):
            return handler(request, *args, **kwargs)
        with replica_reads():
            response: HttpResponse | StreamingHttpResponse = handler(request, *args, **kwargs)
        if isinstance(response, StreamingHttpResponse) and not response.is_async:
            content = cast(Iterator[bytes], response.streaming_content)
            response.streaming_content = replica_iter(content)
        return response
