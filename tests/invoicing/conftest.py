"""Contoso (provider) bills Northwind (reseller), who bills its Italian customers in EUR."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from commerce.models import Offer, Subscription
from commerce.services import order_place
from tests.factories import acting, member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
)


def at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture
def world():
    pair = ProviderRelationshipFactory(provider=provider_org(legal_name="Contoso Distribution"))
    adatum = CustomerRelationshipFactory(
        relationship=pair, customer=customer_org(legal_name="Adatum Retail S.p.A.")
    )
    fourth = CustomerRelationshipFactory(
        relationship=pair, customer=customer_org(legal_name="Fourth Coffee S.r.l.")
    )
    return {
        "pair": pair,
        "adatum": adatum,
        "fourth": fourth,
        "contoso": member(pair.provider),
        "northwind": member(pair.reseller),
    }


def order(
    world,
    when: datetime,
    *,
    customer: str = "adatum",
    code: str = "team-workspace-standard",
    quantity: int = 10,
    term: str = "monthly",
    billing_frequency: str = "monthly",
    reseller_price: str | None = "10.00",
    customer_price: str | None = "12.00",
) -> Subscription:
    """An order placed by Contoso at `when`; then the tier prices set (as a price list would
    have locked them at purchase) and the purchase lines rewritten at those prices."""
    with time_machine.travel(when, tick=False):
        subscription = order_place(
            **acting(world["contoso"]),
            customer_id=world[customer].customer_id,
            offer_id=Offer.objects.get(code=code).pk,
            quantity=quantity,
            term=term,
            billing_frequency=billing_frequency,
        )
    if reseller_price is not None:
        from invoicing.models import Charge
        from invoicing.services import charges_on_subscription_change

        Subscription.objects.filter(pk=subscription.pk).update(
            reseller_price=Decimal(reseller_price), customer_price=Decimal(customer_price or "0")
        )
        subscription.refresh_from_db()
        event = subscription.events.get(type="ordered")
        Charge.objects.filter(source=f"event:{event.pk}").delete()
        charges_on_subscription_change(subscription, event)
    return subscription
