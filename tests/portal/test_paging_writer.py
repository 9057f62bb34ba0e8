"""The pagination includes are written in Python (portal/templatetags/portal_paging.py): every
kind of page, first to last, capped or not, counted or not, with hostile labels and query
strings, must come out exactly as the markup templates they replaced write it
(portal/_*_markup.html), in every language."""

from __future__ import annotations

from unittest import mock

import pytest
from django.template import engines
from django.utils.safestring import mark_safe
from django.utils.translation import override

from portal.paging import BoundedPage, CappedCount, KeysetPage

HOSTILE = "a \"quoted\" <b>tag</b> & 'apostrophe'"


def _bounded_pages():
    pages = []
    for count, capped in ((0, False), (5, False), (45, False), (12_345, False), (10_000, True)):
        for number in (1, 2, 3, 4, 500, 1_234):
            for counted in (True, False):
                pages.append(
                    BoundedPage(
                        number=number,
                        per_page=10,
                        count=CappedCount(count, capped),
                        object_list=[1] if count else [],
                        counted=counted,
                        _has_next=number % 2 == 0,
                    )
                )
    pages.append(
        BoundedPage(
            number=1_000,
            per_page=10,
            count=CappedCount(10_000, True),
            object_list=[1],
            beyond_cap=True,
            requested=4_321,
        )
    )
    return pages


def _keyset_pages():
    return [
        KeysetPage(object_list=[]),
        KeysetPage(object_list=[1], next_cursor="2026-12-06T10:00:00+00:00|5"),
        KeysetPage(object_list=[1], previous_cursor="a b/c&d", is_first=False),
        KeysetPage(object_list=[1], next_cursor=HOSTILE, previous_cursor="x", is_first=False),
        KeysetPage(object_list=[1], is_first=False),
    ]


CONTEXTS = [
    {},
    {"query_string": "q=a&amp;b", "page_param": "pending_page", "label": "Pending pages"},
    {"query_string": HOSTILE, "page_param": HOSTILE, "label": HOSTILE},
    {"query_string": mark_safe("q=<safe>&amp;x=1"), "label": mark_safe("<em>Pages</em>")},
    {"query_string": "", "page_param": "", "label": "", "cap_notice_above": True},
    {"query_string": None, "label": None, "page_param": None, "cursor_prefix": None},
    {
        "first_label": HOSTILE,
        "previous_label": "Newer",
        "next_label": mark_safe("<b>Older</b>"),
        "cursor_prefix": "customers_",
        "query_string": "sort=name",
    },
    {"first_label": "Newest", "previous_label": "Newer", "next_label": "Older", "label": 7},
]


def _render(name: str, **context) -> str:
    return engines["django"].from_string("{% include '" + name + "' %}").render(context)


def _both(name: str, **context) -> tuple[str, str]:
    return (
        _render(f"portal/{name}.html", **context),
        _render(f"portal/{name}_markup.html", **context),
    )


@pytest.mark.parametrize("language", ["en", "it"])
def test_bounded_pagination_is_written_as_the_template_wrote_it(language):
    with override(language):
        for page in _bounded_pages():
            for context in CONTEXTS:
                written, markup = _both("_bounded_pagination", page=page, **context)
                assert written == markup, (page, context)


@pytest.mark.parametrize("language", ["en", "it"])
def test_keyset_pagination_is_written_as_the_template_wrote_it(language):
    with override(language):
        for page in _keyset_pages():
            for context in CONTEXTS:
                written, markup = _both("_keyset_pagination", page=page, **context)
                assert written == markup, (page, context)


@pytest.mark.parametrize("language", ["en", "it"])
def test_result_count_is_written_as_the_template_wrote_it(language):
    with override(language):
        for value in (0, 1, 2, 999, 1_000, 12_345, 10_000):
            for capped in (False, True):
                for hint in ({}, {"narrow_hint": True}, {"narrow_hint": ""}):
                    count = CappedCount(value, capped)
                    written, markup = _both("_result_count", count=count, **hint)
                    assert written == markup, (count, hint)


def test_the_writers_render_no_template_for_a_page():
    """The Python writers are the ones used (not their fallback to the markup)."""
    page = _bounded_pages()[20]
    keyset = _keyset_pages()[3]
    with mock.patch(
        "portal.templatetags.portal_paging._markup", side_effect=AssertionError("markup")
    ):
        assert "aria-current" in _render("portal/_bounded_pagination.html", page=page)
        assert "after=" in _render("portal/_keyset_pagination.html", page=keyset)
        assert "result" in _render("portal/_result_count.html", count=CappedCount(3, False))


def test_something_else_than_a_portal_page_renders_the_markup():
    """A Django Page, a missing page or a callable value: what the markup template writes."""
    from django.core.paginator import Paginator

    django_page = Paginator(list(range(50)), 10).page(3)
    for context in ({"page": django_page}, {}, {"page": _bounded_pages()[20], "label": lambda: 1}):
        written, markup = _both("_bounded_pagination", **context)
        assert written == markup
        written, markup = _both("_keyset_pagination", **context)
        assert written == markup
    written, markup = _both("_result_count", count=mock.Mock(capped=True, value=12_000))
    assert written == markup
