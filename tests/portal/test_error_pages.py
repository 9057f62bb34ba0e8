import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_unknown_page_shows_the_portal_404_inside_the_shell(client_for, reseller_admin):
    response = client_for(reseller_admin).get("/no-such-page/")
    assert response.status_code == 404
    assert "We can't find that page" in response.text
    assert reseller_admin.organization.legal_name in response.text  # still in the shell


def test_server_error_shows_a_plain_500_page(reseller_admin, settings):
    settings.ROOT_URLCONF = "tests.portal.urls_boom"
    client = Client(raise_request_exception=False)
    client.force_login(reseller_admin.user)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
