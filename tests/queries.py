"""A request's queries, counted: the query budget tests compare a page with 1 row and with 3
(enough to show a query per row) instead of building dozens of rows."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def warm(client: Client) -> None:
    """A request that does nothing (the language switch without a language) so that the next
    one finds who is asking in the cache, as every request but a session's first does
    (portal/request_context.py): a page's budget counts its own queries."""
    client.post(reverse("portal:set_language"))


def queries_of(client: Client, path: str, *, status: int = 200) -> tuple[int, str]:
    """The number of queries of a GET of `path` (a streamed body read to its end) and its text,
    on a warm request context."""
    warm(client)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
        assert response.status_code == status, (path, response.status_code)
        if response.streaming:
            text = b"".join(response.streaming_content).decode()
        else:
            text = response.content.decode()
    return len(ctx), text


def queries_for_1_and_3(make: Callable[[int], tuple[Client, str]]) -> list[int]:
    """The queries of a page for a tenant with 1 row and for another with 3: `make(n)` builds a
    tenant with `n` rows and returns a client of it and the path."""
    return [queries_of(*make(n))[0] for n in (1, 3)]
