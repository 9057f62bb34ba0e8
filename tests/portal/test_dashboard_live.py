"""The dashboard's notifications refresh live: a badge counts those that arrived since the page
was loaded; the poll is silent (204) until one arrives."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Notification

pytestmark = pytest.mark.django_db


def _poll(body: str) -> str:
    match = re.search(r'hx-get="(/dashboard/notifications/\?[^"]+)"', body)
    assert match
    return match.group(1).replace("&amp;", "&")


def test_a_new_notification_arrives_with_a_badge_and_an_announcement(client_for, reseller_admin):
    organization = reseller_admin.organization
    Notification.objects.create(organization=organization, message="Old news")
    client = client_for(reseller_admin)
    body = client.get("/dashboard/").content.decode()
    assert 'hx-trigger="every 15s"' in body and 'aria-live="polite"' in body
    assert 'data-testid="new-notifications"' not in body
    poll = _poll(body)
    assert client.get(poll).status_code == 204

    Notification.objects.create(organization=organization, message="Contoso invited you")
    fragment = client.get(poll).content.decode()
    assert "Contoso invited you" in fragment
    assert re.search(r'data-testid="new-notifications">\s*1 new', fragment)
    assert "1 new notification." in fragment
    assert client.get(_poll(fragment)).status_code == 204


def test_another_tenants_notifications_never_arrive(client_for, reseller_admin, other_tenant_admin):
    client = client_for(reseller_admin)
    poll = _poll(client.get("/dashboard/").content.decode())
    Notification.objects.create(organization=other_tenant_admin.organization, message="Secret")
    assert client.get(poll).status_code == 204


def test_the_poll_runs_the_same_queries_with_1_or_3_notifications(client_for, reseller_admin):
    organization = reseller_admin.organization
    client = client_for(reseller_admin)
    Notification.objects.create(organization=organization, message="one")
    client.get("/dashboard/notifications/")
    with CaptureQueriesContext(connection) as one:
        client.get("/dashboard/notifications/?seen=0")
    Notification.objects.bulk_create(
        [Notification(organization=organization, message=f"n{i}") for i in range(2)]
    )
    with CaptureQueriesContext(connection) as three:
        client.get("/dashboard/notifications/?seen=0")
    assert len(three) == len(one)
