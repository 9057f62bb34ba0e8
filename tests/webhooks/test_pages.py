"""/settings/webhooks/: an organization's Global admins manage its endpoints; nobody else."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Organization
from tests.factories import OrganizationFactory, member
from webhooks.models import WebhookDelivery, WebhookEndpoint

from .factories import CANCELLED, endpoint_for

pytestmark = pytest.mark.django_db

URL = "/settings/webhooks/"


def test_global_admin_adds_an_endpoint_and_sees_its_secret_once(client_for, reseller_admin):
    client = client_for(reseller_admin)
    page = client.get(f"{URL}add/").text
    assert "Subscription cancelled" in page and "Endpoint URL" in page
    response = client.post(
        f"{URL}add/", {"url": "http://127.0.0.1:8000/in", "event_types": [CANCELLED]}
    )
    endpoint = WebhookEndpoint.objects.get(organization=reseller_admin.organization)
    assert endpoint.event_types == [CANCELLED]
    assert endpoint.secret in response.text and response["Cache-Control"] == "no-store"
    listing = client.get(URL).text
    assert endpoint.url in listing and endpoint.secret not in listing  # shown once


def test_the_form_says_what_is_wrong(client_for, reseller_admin):
    response = client_for(reseller_admin).post(f"{URL}add/", {"url": "not a url"})
    assert response.status_code == 200
    assert "Enter a valid URL" in response.text and "This field is required" in response.text
    assert not WebhookEndpoint.objects.exists()


def test_other_roles_get_403_and_an_operator_404(client_for, reseller_admin):
    endpoint = endpoint_for(reseller_admin.organization)
    agent = member(reseller_admin.organization, admin_agent=True, billing_admin=True)
    client = client_for(agent)
    for url in (URL, f"{URL}add/", f"{URL}{endpoint.pk}/deliveries/"):
        assert client.get(url).status_code == 403
    assert client.post(f"{URL}{endpoint.pk}/delete/", {"confirmed": "yes"}).status_code == 403
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    operator = member(OrganizationFactory(kind=Organization.Kind.OPERATOR))
    assert client_for(operator).get(URL).status_code == 404
    assert "Webhooks" not in client.get("/dashboard/").text


def test_another_tenants_endpoint_is_a_404_and_stays_untouched(
    client_for, reseller_admin, other_tenant_admin
):
    theirs = endpoint_for(other_tenant_admin.organization)
    client = client_for(reseller_admin)
    base = f"{URL}{theirs.pk}"
    for url in (f"{base}/deliveries/", f"{base}/rotate/", f"{base}/delete/"):
        assert client.get(url).status_code == 404
    for url in (f"{base}/rotate/", f"{base}/delete/", f"{base}/test/", f"{base}/enable/"):
        assert client.post(url, {"confirmed": "yes"}).status_code == 404
    after = WebhookEndpoint.objects.get(pk=theirs.pk)
    assert after.secret == theirs.secret and not WebhookDelivery.objects.exists()
    assert theirs.url not in client.get(URL).text


def test_delete_asks_first_then_deletes(client_for, reseller_admin):
    endpoint = endpoint_for(reseller_admin.organization)
    client = client_for(reseller_admin)
    page = client.get(f"{URL}{endpoint.pk}/delete/").text
    assert "Yes, delete the endpoint" in page
    client.post(f"{URL}{endpoint.pk}/delete/")  # without the confirmation: the page again
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    response = client.post(f"{URL}{endpoint.pk}/delete/", {"confirmed": "yes"})
    assert response.status_code == 302 and not WebhookEndpoint.objects.exists()


def test_rotate_shows_the_new_secret_and_a_test_event_joins_the_log(client_for, reseller_admin):
    endpoint = endpoint_for(reseller_admin.organization)
    client = client_for(reseller_admin)
    response = client.post(f"{URL}{endpoint.pk}/rotate/", {"confirmed": "yes"})
    endpoint.refresh_from_db()
    assert endpoint.secret in response.text and endpoint.previous_secret not in response.text
    client.post(f"{URL}{endpoint.pk}/test/")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event_type == "webhook.test"
    log = client.get(f"{URL}{endpoint.pk}/deliveries/").text
    assert "Test event" in log and delivery.webhook_id in log


def test_the_delivery_log_pages_at_a_fixed_query_count(client_for, reseller_admin):
    endpoint = endpoint_for(reseller_admin.organization)
    client = client_for(reseller_admin)
    url = f"{URL}{endpoint.pk}/deliveries/"

    def add(n: int) -> None:
        start = WebhookDelivery.objects.count()
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(endpoint=endpoint, webhook_id=f"msg_{start + i}", event_type=CANCELLED)
            for i in range(n)
        )

    add(2)
    client.get(url)  # warm the session and context caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(60)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).text
    assert len(many) == len(few)
    assert "Page 1 of 3" in page


def test_the_italian_page(client_for, reseller_admin):
    endpoint_for(reseller_admin.organization)
    client = client_for(reseller_admin)
    client.post("/language/", {"language": "it", "next": URL})
    page = client.get(URL).text
    assert "Invia evento di prova" in page and "Ruota il segreto" in page
