"""Settings → API clients: a Global admin's page (list, create with the secret shown once,
revoke), in English and Italian; nobody else's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from api.models import ApiClient
from portal.models import AuditEvent
from tests.api.factories import api_client_of
from tests.factories import member
from tests.relationships.factories import provider_org

pytestmark = pytest.mark.django_db
URL = "/settings/api-clients/"


def _create(client, **data):
    return client.post(
        URL,
        {
            "name": "Nightly billing sync",
            "roles": ["billing_admin", "sales_agent"],
            "expires_on": (timezone.now() + timedelta(days=60)).date().isoformat(),
            **data,
        },
    )


def test_a_global_admin_creates_a_client_and_sees_its_secret_once(client_for):
    admin = member(provider_org())
    browser = client_for(admin)
    response = _create(browser)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    created = ApiClient.objects.get(organization=admin.organization)
    assert created.roles == ["billing_admin", "sales_agent"]
    page = response.content.decode()
    secret = page.split('id="client-secret">', 1)[1].split("<", 1)[0]
    assert len(secret) >= 40
    assert check_password(secret, created.application.client_secret)
    assert created.client_id in page
    again = browser.get(URL).content.decode()
    assert secret not in again and "Nightly billing sync" in again and "Never" in again
    assert AuditEvent.objects.filter(
        type="api.client_created", organization=admin.organization, actor=admin.user
    ).exists()


def test_the_form_refuses_no_role_and_a_date_past_a_year(client_for):
    browser = client_for(member(provider_org()))
    response = _create(browser, roles=[])
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    far = (timezone.now() + timedelta(days=500)).date().isoformat()
    response = _create(browser, expires_on=far)
    assert response.status_code == 400 and "within a year" in response.content.decode()
    assert not ApiClient.objects.exists()


def test_only_global_admins_reach_the_page_and_its_menu_entry(client_for):
    organization = provider_org()
    admin, agent = member(organization), member(organization, admin_agent=True)
    assert f'href="{URL}"' in client_for(admin).get("/dashboard/").content.decode()
    agents = client_for(agent)
    assert f'href="{URL}"' not in agents.get("/dashboard/").content.decode()
    assert agents.get(URL).status_code == 403
    assert _create(agents).status_code == 403
    assert not ApiClient.objects.exists()


def test_revoking_asks_first_then_revokes(client_for):
    admin = member(provider_org())
    created = api_client_of(admin)
    browser = client_for(admin)
    url = f"{URL}{created.client.pk}/revoke/"
    assert "Revoke Sync?" in browser.get(url).content.decode()
    browser.post(url)  # not confirmed: the question again
    created.client.refresh_from_db()
    assert created.client.revoked_at is None
    assert browser.post(url, {"confirmed": "yes"}).status_code == 302
    created.client.refresh_from_db()
    assert created.client.revoked_at is not None
    assert "Revoked" in browser.get(URL).content.decode()


def test_another_tenants_client_is_a_404(client_for):
    theirs = api_client_of(member(provider_org()))
    browser = client_for(member(provider_org()))
    assert browser.get(f"{URL}{theirs.client.pk}/revoke/").status_code == 404
    assert browser.post(f"{URL}{theirs.client.pk}/revoke/", {"confirmed": "yes"}).status_code == 404
    theirs.client.refresh_from_db()
    assert theirs.client.revoked_at is None
    assert "Sync" not in browser.get(URL).content.decode()


def test_the_page_in_italian(client_for):
    admin = member(provider_org())
    admin.user.language = "it"
    admin.user.save(update_fields=["language"])
    page = client_for(admin).get(URL).content.decode()
    assert "Crea un client API" in page and "Scade il" in page
