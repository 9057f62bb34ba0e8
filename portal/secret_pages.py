"""A secret shown once (an API client's, a webhook endpoint's signing secret): the one page that
shows it."""

from __future__ import annotations

from django.http import HttpResponse


def secret_page(response: HttpResponse) -> HttpResponse:
    """A page that shows a secret is never kept by a cache or the browser's history."""
    response["Cache-Control"] = "no-store"
    return response
