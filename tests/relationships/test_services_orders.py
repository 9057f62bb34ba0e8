import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.models import AuditEvent
from relationships.models import Order, ProviderRelationship
from relationships.services.orders import order_place
from tests.factories import acting, member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
)

pytestmark = pytest.mark.django_db


def test_provider_places_an_order_for_a_shared_customer():
    shared = CustomerRelationshipFactory()
    admin = member(shared.provider)
    order = order_place(
        **acting(admin), customer_id=shared.customer_id, offer_name="Azure plan", quantity=3
    )
    assert order.reseller == shared.reseller
    assert order.placed_by == admin.user
    assert AuditEvent.objects.filter(type="relationships.order.placed").count() == 3


def test_order_for_a_customer_without_a_relationship_is_refused():
    provider = provider_org()
    ProviderRelationshipFactory(provider=provider)
    stranger = customer_org(legal_name="Stranger SpA")
    with pytest.raises(ValidationError) as exc:
        order_place(**acting(member(provider)), customer_id=stranger.pk, offer_name="X", quantity=1)
    assert "cannot place orders for this customer: it holds no active" in exc.value.messages[0]
    assert "Stranger SpA" not in exc.value.messages[0]
    assert not Order.objects.exists()


def test_order_refused_once_the_reseller_ended_the_provider_relationship():
    shared = CustomerRelationshipFactory()
    ProviderRelationship.objects.update(status=ProviderRelationship.Status.ENDED)
    with pytest.raises(ValidationError):
        order_place(
            **acting(member(shared.provider)),
            customer_id=shared.customer_id,
            offer_name="X",
            quantity=1,
        )
    assert not Order.objects.exists()


def test_customer_shared_with_another_provider_cannot_be_ordered_for():
    shared = CustomerRelationshipFactory()
    other = provider_org()
    ProviderRelationshipFactory(provider=other, reseller=shared.reseller)
    with pytest.raises(ValidationError):
        order_place(
            **acting(member(other)), customer_id=shared.customer_id, offer_name="X", quantity=1
        )
    assert not Order.objects.exists()


def test_helpdesk_agent_cannot_place_orders():
    shared = CustomerRelationshipFactory()
    with pytest.raises(PermissionDenied):
        order_place(
            **acting(member(shared.provider, helpdesk_agent=True)),
            customer_id=shared.customer_id,
            offer_name="X",
            quantity=1,
        )
    assert not Order.objects.exists()


def test_quantity_must_be_positive():
    shared = CustomerRelationshipFactory()
    with pytest.raises(ValidationError):
        order_place(
            **acting(member(shared.provider)),
            customer_id=shared.customer_id,
            offer_name="X",
            quantity=0,
        )
    assert not Order.objects.exists()
