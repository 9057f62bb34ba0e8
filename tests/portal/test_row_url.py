"""`{% row_url %}` (portal/templatetags/portal_urls.py) writes the same address as `{% url %}`
for every row of a list, whatever the id, constant arguments and script prefix."""

import pytest
from django.template import engines
from django.urls import NoReverseMatch, reverse, set_script_prefix

from portal.templatetags.portal_urls import PLACEHOLDER


def _render(source: str, **context) -> str:
    return engines["django"].from_string("{% load portal_urls %}" + source).render(context)


@pytest.mark.parametrize("pk", [1, 7, 42, 1234567, PLACEHOLDER])
def test_a_row_address_is_the_url_tag_address(pk):
    assert _render("{% row_url 'verification:review_case' pk %}", pk=pk) == reverse(
        "verification:review_case", args=[pk]
    )
    assert _render(
        "{% row_url 'relationships:reseller_invitation_action' pk 'revoke' %}", pk=pk
    ) == reverse("relationships:reseller_invitation_action", args=[pk, "revoke"])


def test_rows_of_one_page_get_their_own_ids_and_actions():
    source = (
        "{% for pk in ids %}"
        "{% row_url 'relationships:reseller_invitation_action' pk action %};"
        "{% endfor %}"
    )
    for action in ("resend", "revoke"):
        rendered = _render(source, ids=[3, 30, 300], action=action)
        assert rendered.split(";")[:-1] == [
            reverse("relationships:reseller_invitation_action", args=[pk, action])
            for pk in (3, 30, 300)
        ]


def test_the_script_prefix_of_the_request_is_kept():
    set_script_prefix("/portal/")
    try:
        assert _render("{% row_url 'verification:review_case' 5 %}") == "/portal/review/5/"
    finally:
        set_script_prefix("/")
    assert _render("{% row_url 'verification:review_case' 5 %}") == "/review/5/"


def test_an_id_that_is_not_a_number_fails_as_the_url_tag_does():
    with pytest.raises(NoReverseMatch):
        _render("{% row_url 'verification:review_case' pk %}", pk=None)
