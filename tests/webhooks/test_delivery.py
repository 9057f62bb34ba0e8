"""Signing, target rules and the retry bookkeeping of a send (no receiver: the fast set listens on
no port; tests/integration/test_webhooks.py sends to a real one)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from portal.audit import audit_record
from tests.factories import OrganizationFactory, member
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    signed_headers,
    webhook_endpoint_create,
    webhook_secret_rotate,
    webhooks_drain,
)
from webhooks.targets import target_refusal

from .factories import CANCELLED, endpoint_for

pytestmark = pytest.mark.django_db

PRIVATE = [
    "http://127.0.0.1:8000/in",
    "http://localhost/in",
    "https://10.1.2.3/in",
    "https://192.168.0.10/in",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/in",
    "http://100.64.0.1/in",
]


@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=False)
@pytest.mark.parametrize("url", PRIVATE)
def test_private_and_loopback_targets_are_refused_in_production(url):
    assert "private network" in (target_refusal(url) or "")
    admin = member()
    with pytest.raises(ValidationError):
        webhook_endpoint_create(
            actor=admin.user, organization=admin.organization, url=url, event_types=[CANCELLED]
        )
    assert not WebhookEndpoint.objects.exists()


@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=False)
def test_a_public_address_and_only_http_are_accepted():
    assert target_refusal("https://93.184.215.14/hooks") is None  # a literal: no DNS needed
    assert target_refusal("ftp://93.184.215.14/x")
    assert target_refusal("https://user:pw@93.184.215.14/x")


@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True)
def test_private_targets_are_allowed_where_the_setting_says_so():
    assert target_refusal("http://127.0.0.1:8000/in") is None


def test_the_signature_verifies_with_the_standardwebhooks_library():
    endpoint = endpoint_for(OrganizationFactory())
    body = '{"type":"webhook.test","data":{}}'
    headers = signed_headers(endpoint, "msg_1", body)
    assert Webhook(endpoint.secret).verify(body, headers)["type"] == "webhook.test"
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body.replace("test", "tost"), headers)


def test_rotation_signs_with_both_secrets_until_the_old_one_expires():
    admin = member()
    endpoint = endpoint_for(admin.organization)
    old = endpoint.secret
    endpoint = webhook_secret_rotate(actor=admin.user, endpoint=endpoint)
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")
    body = "{}"
    headers = signed_headers(endpoint, "msg_2", body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(endpoint.secret).verify(body, headers)

    endpoint.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    headers = signed_headers(endpoint, "msg_3", body)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)
    Webhook(endpoint.secret).verify(body, headers)


@override_settings(WEBHOOKS_DISABLE_AFTER=3, WEBHOOKS_RETRY_BASE_SECONDS=60)
def test_a_failed_send_backs_off_and_the_endpoint_is_disabled_after_n_failures():
    admin = member()
    org = admin.organization
    endpoint = endpoint_for(org)  # port 9 on loopback: connection refused
    audit_record(type=CANCELLED, organization=org, actor=None, subscription=1)
    audit_record(type=CANCELLED, organization=org, actor=None, subscription=2)
    webhooks_drain()
    first, second = WebhookDelivery.objects.order_by("pk")
    # One try per endpoint and round: the second row waits for the same turn, attempt uncounted.
    assert (first.attempts, second.attempts) == (1, 0)
    assert first.status == second.status == WebhookDelivery.Status.PENDING
    assert first.last_status_code is None and "refused" in first.response_excerpt.lower()
    assert first.next_attempt_at > timezone.now() + timedelta(seconds=50)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1 and endpoint.enabled
    # A new event while the endpoint fails waits for the endpoint's turn: no attempt, no failure.
    audit_record(type=CANCELLED, organization=org, actor=None, subscription=3)
    webhooks_drain()
    assert WebhookDelivery.objects.order_by("pk").last().attempts == 0
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1

    for _ in range(2):
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        WebhookEndpoint.objects.update(retry_at=None)  # the turns have come
        webhooks_drain()
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.consecutive_failures == 3
    assert "3 failed attempts" in endpoint.disabled_reason
    from portal.models import OutboxMessage

    email = OutboxMessage.objects.get(template="webhooks_endpoint_disabled")
    assert email.to_email == admin.user.email
    assert endpoint.url in email.body_text
    # Its rows wait (none lost) and are not tried while it is disabled.
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    WebhookEndpoint.objects.update(retry_at=None)
    webhooks_drain()
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"pending"}
    assert WebhookDelivery.objects.get(pk=first.pk).attempts == 3


@override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=False)
def test_a_target_that_became_private_is_not_sent_to():
    endpoint = endpoint_for(OrganizationFactory())  # written while allowed
    audit_record(type=CANCELLED, organization=endpoint.organization, actor=None)
    webhooks_drain()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "private network" in delivery.response_excerpt
