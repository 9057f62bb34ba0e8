"""Checks on every page the test suite renders (portal.settings.test only).

`DuplicateIdMiddleware` fails any HTML response that repeats an `id`: a label then focuses the
wrong field, an error summary links to the wrong input, and htmx swaps the wrong element. Every
page any test renders is checked, so a duplicate is caught by whichever test first shows it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# An id attribute in a tag; comments are dropped first. Ids are compared as written.
_ID = re.compile(r"""<[a-zA-Z][^<>]*?\sid\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


class DuplicateIdError(AssertionError):
    pass


def duplicate_ids(html: str) -> list[str]:
    """The ids that appear more than once in `html`, in order of first appearance."""
    counts = Counter(a or b for a, b in _ID.findall(_COMMENT.sub("", html)))
    return [value for value, count in counts.items() if count > 1]


class DuplicateIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.headers.get("Content-Type", "").startswith("text/html")
            and not response.streaming
        ):
            duplicates = duplicate_ids(response.content.decode(response.charset or "utf-8"))
            if duplicates:
                raise DuplicateIdError(
                    f"{request.method} {request.get_full_path()} repeats the id(s) "
                    f"{', '.join(duplicates)}"
                )
        return response
