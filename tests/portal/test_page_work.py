"""What every page does once, not once a template: the shell's navigation (a page that renders
parts of itself with the request, such as the dashboard's live regions, used to work it out
again for each part), and the addresses `{% url %}` and the navigation write (remembered, yet
always those of the current script prefix and URL configuration)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.template import engines
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix

from portal import context_processors
from portal.models import Organization
from portal.navigation import navigation
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize("kind", [Organization.Kind.RESELLER, Organization.Kind.PROVIDER])
def test_the_dashboard_works_out_its_navigation_once(client_for, kind):
    client = client_for(member(OrganizationFactory(kind=kind)))
    with mock.patch.object(
        context_processors, "navigation", wraps=context_processors.navigation
    ) as counted:
        page = client.get("/dashboard/")
    assert page.status_code == 200
    assert counted.call_count == 1
    html = page.content.decode()
    assert 'href="/dashboard/" aria-current="page">Dashboard</a>' in html
    assert 'href="/subscriptions/">Subscriptions</a>' in html


def test_the_url_tag_writes_what_reverse_gives():
    for _ in range(2):  # the second time from memory
        assert _render("{% url 'portal:dashboard' %}") == reverse("portal:dashboard")
        assert _render("{% url 'verification:review_case' 42 %}") == "/review/42/"
        assert _render("{% url 'verification:review_case' pk=7 %}") == "/review/7/"
        assert _render("{% url name pk %}", name="verification:review_case", pk=9) == "/review/9/"
        assert _render("{% url 'verification:review_case' 5 as x %}[{{ x }}]") == "[/review/5/]"
        assert _render("{% url 'no-such-page' as x %}[{{ x }}]") == "[]"
        with pytest.raises(NoReverseMatch):
            _render("{% url 'no-such-page' %}")
        with pytest.raises(NoReverseMatch):
            _render("{% url 'verification:review_case' pk %}", pk=None)


def test_remembered_addresses_follow_the_script_prefix_and_the_url_configuration():
    reseller = member(OrganizationFactory(kind=Organization.Kind.RESELLER))

    def addresses():
        paths = [item["path"] for item in navigation(reseller, "/")["main"]]
        return paths[0], _render("{% url 'verification:review_case' 3 %}")

    assert addresses() == ("/dashboard/", "/review/3/")
    set_script_prefix("/portal/")
    try:
        assert addresses() == ("/portal/dashboard/", "/portal/review/3/")
    finally:
        set_script_prefix("/")
    with override_settings(ROOT_URLCONF="tests.portal.urls_moved"):
        assert addresses() == ("/moved/dashboard/", "/moved/review/3/")
    assert addresses() == ("/dashboard/", "/review/3/")


def test_a_status_is_worded_in_the_active_language_translating_only_its_own_label():
    from django.utils import translation

    from commerce.models import Subscription

    subscription = Subscription(status="active")
    field = Subscription._meta.get_field("status")
    assert subscription.get_status_display() == "Active"
    with translation.override("it"):
        assert subscription.get_status_display() == str(dict(field.flatchoices)["active"])
        assert subscription.get_status_display() != "Active"
    subscription.status = "no-such-status"  # as Django: the stored value itself
    assert subscription.get_status_display() == "no-such-status"
    subscription.status = "suspended"
    with mock.patch.object(
        translation._trans, "gettext", wraps=translation._trans.gettext
    ) as translated:
        assert subscription.get_status_display() == "Suspended"
    assert translated.call_count == 1  # not one per choice of the field


def test_the_navigation_speaks_the_language_of_each_request():
    from django.utils import translation

    reseller = member(OrganizationFactory(kind=Organization.Kind.RESELLER))

    def labels():
        return [item["label"] for item in navigation(reseller, "/")["settings"]]

    english = labels()
    with translation.override("it"):
        italian = labels()
        assert labels() == italian
    assert labels() == english
    assert "Audit log" in english
    assert "Audit log" not in italian
    assert "Registro attività" in italian
