"""`{% row_url "app:name" row.pk %}`: `{% url %}` for the rows of a table.

`reverse()` walks the URL resolver for every call (about 25 µs): two links per row of a page of
25 rows is a millisecond and a half of every list page. A pattern whose first argument is an
integer id gives the same address for every row but the id, so it is reversed once (with a
placeholder id) per pattern, constant arguments, script prefix, language and URL conf; a row's
address is the two halves around its id. Anything else (an id that isn't an integer, a pattern
where the placeholder doesn't appear exactly once) goes through `reverse()` as `{% url %}` does."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

register = template.Library()

PLACEHOLDER = 987654321987


@lru_cache(maxsize=512)
def _halves(
    name: str, rest: tuple[Any, ...], _prefix: str, _language: str | None, urlconf: Any
) -> tuple[str, str] | None:
    url = reverse(name, args=[PLACEHOLDER, *rest], urlconf=urlconf)
    marker = str(PLACEHOLDER)
    if url.count(marker) != 1:
        return None
    before, _, after = url.partition(marker)
    return before, after


@register.simple_tag
def row_url(name: str, pk: Any, *rest: Any) -> str:
    """The address of `name` for the id `pk` (and the constant arguments `rest`)."""
    if type(pk) is int and pk >= 0:
        halves = _halves(name, rest, get_script_prefix(), get_language(), get_urlconf())
        if halves is not None:
            return f"{halves[0]}{pk}{halves[1]}"
    return reverse(name, args=[pk, *rest])
