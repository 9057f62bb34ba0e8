"""The duplicate-id check over every HTML page the suite renders (portal.settings.test)."""

import pytest
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory

from portal.html_checks import DuplicateIdError, DuplicateIdMiddleware, duplicate_ids


def _serve(body: str, content_type: str = "text/html; charset=utf-8") -> HttpResponse:
    middleware = DuplicateIdMiddleware(
        lambda request: HttpResponse(body, content_type=content_type)
    )
    return middleware(RequestFactory().get("/review/1/"))


def test_a_page_that_repeats_an_id_fails_and_names_the_id_and_the_page():
    page = '<form><textarea id="id_note"></textarea></form><form><textarea id="id_note">'
    with pytest.raises(DuplicateIdError, match=r"GET /review/1/ repeats the id\(s\) id_note"):
        _serve(page)


def test_a_page_with_distinct_ids_passes():
    page = "<label for='a'>A</label><input id='a'><input id=\"b\"><div data-id=\"a\"></div>"
    assert _serve(page).status_code == 200


def test_ids_in_comments_and_non_html_responses_are_not_counted():
    assert duplicate_ids('<!-- <p id="x"> --><p id="x">') == []
    middleware = DuplicateIdMiddleware(
        lambda request: JsonResponse({"html": '<p id="x"><p id="x">'})
    )
    assert middleware(RequestFactory().get("/")).status_code == 200


def test_the_test_settings_check_every_page(settings):
    assert "portal.html_checks.DuplicateIdMiddleware" in settings.MIDDLEWARE
