"""The orders rule (`order_customer_relationship`), through the order service that asks it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from commerce.models import Offer, Order, Subscription
from commerce.services import order_place
from portal.models import AuditEvent
from relationships.models import ProviderRelationship
from relationships.services.orders import order_customer_relationship
from tests.factories import acting, member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
)

pytestmark = pytest.mark.django_db


def _order(membership, customer_id, quantity=3, **kwargs):
    return order_place(
        **acting(membership),
        customer_id=customer_id,
        offer_id=Offer.objects.get(code="secure-mail-plus").pk,
        quantity=quantity,
        term="monthly",
        billing_frequency="monthly",
        **kwargs,
    )


def test_provider_places_an_order_for_a_shared_customer():
    shared = CustomerRelationshipFactory()
    admin = member(shared.provider)
    subscription = _order(admin, shared.customer_id)
    assert subscription.reseller == shared.reseller
    assert subscription.order.placed_by == admin.user
    assert AuditEvent.objects.filter(type="commerce.order.placed").count() == 3


def test_order_for_a_customer_without_a_relationship_is_refused():
    provider = provider_org()
    ProviderRelationshipFactory(provider=provider)
    stranger = customer_org(legal_name="Stranger SpA")
    with pytest.raises(ValidationError) as exc:
        _order(member(provider), stranger.pk)
    assert "cannot place orders for this customer: it holds no active" in exc.value.messages[0]
    assert "Stranger SpA" not in exc.value.messages[0]
    assert not Order.objects.exists()


def test_order_refused_once_the_reseller_ended_the_provider_relationship():
    shared = CustomerRelationshipFactory()
    ProviderRelationship.objects.update(status=ProviderRelationship.Status.ENDED)
    with pytest.raises(ValidationError):
        _order(member(shared.provider), shared.customer_id)
    assert not Order.objects.exists()


def test_customer_shared_with_another_provider_cannot_be_ordered_for():
    shared = CustomerRelationshipFactory()
    other = provider_org()
    ProviderRelationshipFactory(provider=other, reseller=shared.reseller)
    with pytest.raises(ValidationError):
        _order(member(other), shared.customer_id)
    assert not Order.objects.exists()


def test_reseller_orders_only_through_a_provider_sharing_the_customer():
    shared = CustomerRelationshipFactory()
    other = provider_org()
    ProviderRelationshipFactory(provider=other, reseller=shared.reseller)
    rule = order_customer_relationship(
        organization=shared.reseller, customer_id=shared.customer_id, provider_id=shared.provider_id
    )
    assert rule == shared
    with pytest.raises(ValidationError):
        order_customer_relationship(
            organization=shared.reseller, customer_id=shared.customer_id, provider_id=other.pk
        )
    with pytest.raises(ValidationError):
        order_customer_relationship(organization=shared.reseller, customer_id=shared.customer_id)


def test_helpdesk_agent_cannot_place_orders():
    shared = CustomerRelationshipFactory()
    with pytest.raises(PermissionDenied):
        _order(member(shared.provider, helpdesk_agent=True), shared.customer_id)
    assert not Subscription.objects.exists()


def test_quantity_must_be_positive():
    shared = CustomerRelationshipFactory()
    with pytest.raises(ValidationError):
        _order(member(shared.provider), shared.customer_id, quantity=0)
    assert not Order.objects.exists()
