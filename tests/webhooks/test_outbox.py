"""Subscribed audit events become webhook deliveries in the transaction that records them."""

from __future__ import annotations

import pytest
from django.db import transaction

from portal.audit import audit_record, audit_record_for
from tests.factories import OrganizationFactory, member
from webhooks.models import WebhookDelivery

from .factories import CANCELLED, ORDER_PLACED, endpoint_for

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def _cancel(organization, **details):
    return audit_record(type=CANCELLED, organization=organization, actor=None, **details)


def test_a_subscribed_event_writes_its_delivery_and_rolls_back_with_it():
    org = OrganizationFactory()
    endpoint = endpoint_for(org)
    with pytest.raises(Boom), transaction.atomic():
        _cancel(org, subscription=7)
        assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1
        raise Boom
    assert not WebhookDelivery.objects.exists()  # gone with the change it described

    with transaction.atomic():
        event = _cancel(org, subscription=7, status="cancelled", customer_name="Pat Rossi")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.webhook_id == f"msg_{event.pk}"
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.payload["type"] == CANCELLED
    assert delivery.payload["timestamp"] == event.created_at.isoformat()
    data = delivery.payload["data"]
    assert data["subscription"] == 7 and data["status"] == "cancelled"
    assert data["event_id"] == event.pk and data["organization_id"] == org.pk
    assert "customer_name" not in data  # a person's or company's name never goes out


def test_unsubscribed_types_and_disabled_endpoints_get_nothing():
    org = OrganizationFactory()
    endpoint_for(org, event_types=[ORDER_PLACED])
    endpoint_for(org, enabled=False)
    _cancel(org, subscription=1)
    assert not WebhookDelivery.objects.exists()


def test_another_organizations_endpoint_never_gets_the_event():
    ours, theirs, third = OrganizationFactory(), OrganizationFactory(), OrganizationFactory()
    our_endpoint = endpoint_for(ours)
    their_endpoint = endpoint_for(theirs)
    _cancel(ours, subscription=1)
    assert WebhookDelivery.objects.filter(endpoint=our_endpoint).count() == 1
    assert not WebhookDelivery.objects.filter(endpoint=their_endpoint).exists()

    # One event for several organizations: each endpoint gets its own organization's row.
    rows = audit_record_for(type=CANCELLED, organizations=[ours, third], actor=None)
    ours_ids = set(
        WebhookDelivery.objects.filter(endpoint=our_endpoint).values_list("webhook_id", flat=True)
    )
    assert f"msg_{rows[0].pk}" in ours_ids and f"msg_{rows[1].pk}" not in ours_ids
    assert not WebhookDelivery.objects.filter(endpoint=their_endpoint).exists()


def test_recording_the_same_event_twice_writes_one_delivery():
    from webhooks.services import webhook_deliveries_for_events

    org = OrganizationFactory()
    endpoint = endpoint_for(org)
    event = _cancel(org, subscription=1)
    webhook_deliveries_for_events([event])  # a replay of the hook: webhook-id is unique
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1


def test_an_unsubscribable_event_costs_no_query(django_assert_num_queries):
    admin = member()
    endpoint_for(admin.organization)
    from enrollment.events import AuditType

    with django_assert_num_queries(1):  # the audit row only
        audit_record(
            type=AuditType.MEMBERSHIP_ADDED, organization=admin.organization, actor=admin.user
        )
