"""`manage.py demo_api_setup`: an API client and a webhook endpoint made by the organization's
Global admin through the services (audited), their secrets printed once as `export` lines, and
a second run replacing the endpoint of the same URL."""

from __future__ import annotations

import shlex
from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from api.models import ApiClient
from portal.models import AuditEvent
from tests.factories import member
from tests.relationships.factories import provider_org
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:8765/"


def _run(*args: str) -> dict[str, str]:
    out = StringIO()
    call_command("demo_api_setup", *args, stdout=out, stderr=StringIO())
    return dict(shlex.split(line)[1].split("=", 1) for line in out.getvalue().splitlines())


def test_it_creates_an_audited_client_and_endpoint_and_prints_their_secrets_once(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    admin = member(provider_org())
    printed = _run("--admin", admin.user.email.upper(), "--webhook-url", URL)
    client = ApiClient.objects.get(organization=admin.organization)
    assert printed["PORTAL_CLIENT_ID"] == client.client_id
    assert client.roles == ["admin_agent"] and client.created_by == admin.user
    # Stored hashed: the printed secret is the only copy.
    assert client.application.client_secret != printed["PORTAL_CLIENT_SECRET"]
    assert check_password(printed["PORTAL_CLIENT_SECRET"], client.application.client_secret)
    endpoint = WebhookEndpoint.objects.get(organization=admin.organization)
    assert printed["PORTAL_WEBHOOK_SECRET"] == endpoint.secret
    assert endpoint.url == URL
    assert {"commerce.order.placed", "commerce.subscription.quantity_changed"} <= set(
        endpoint.event_types
    )
    assert {"api.client_created", "webhooks.endpoint.created"} <= set(
        AuditEvent.objects.filter(organization=admin.organization, actor=admin.user).values_list(
            "type", flat=True
        )
    )

    again = _run(
        "--admin", admin.user.email, "--webhook-url", URL, "--event", "verification.approved"
    )
    endpoints = WebhookEndpoint.objects.filter(organization=admin.organization)
    assert [e.event_types for e in endpoints] == [["verification.approved"]]
    assert again["PORTAL_WEBHOOK_SECRET"] == endpoints[0].secret != endpoint.secret
    assert ApiClient.objects.filter(organization=admin.organization).count() == 2


def test_it_refuses_an_unknown_admin_and_a_target_the_settings_forbid(settings):
    with pytest.raises(CommandError, match="seed_demo"):
        _run("--admin", "nobody@example.com", "--webhook-url", URL)
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    admin = member(provider_org())
    with pytest.raises(CommandError):
        _run("--admin", admin.user.email, "--webhook-url", URL)
    assert not ApiClient.objects.exists() and not WebhookEndpoint.objects.exists()
