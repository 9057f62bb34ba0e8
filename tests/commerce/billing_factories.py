"""Commerce rows for tests: offers with prices, and subscriptions written directly (the order
services are tested on their own) with their running billing totals kept as the services keep
them (`billing_totals_apply`)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from commerce.billing import LIVE_STATUSES, billing_totals_add
from commerce.models import CHANGE_WINDOW, Offer, OfferPrice, Subscription
from portal.models import Organization
from relationships.models import CustomerRelationship
from tests.relationships.factories import CustomerRelationshipFactory

_numbers = count(1)


def offer(name: str = "", *, prices: dict[str, str] | None = None, **kwargs) -> Offer:
    """An offer on sale with a price in each currency of `prices` (monthly term; the annual
    term costs 10% less)."""
    number = next(_numbers)
    made = Offer.objects.create(
        code=f"test-offer-{number}",
        name=name or f"Test Offer {number}",
        kind=kwargs.pop("kind", Offer.Kind.SEAT),
        unit=kwargs.pop("unit", "user"),
        **kwargs,
    )
    for currency, price in (prices or {"EUR": "10.00", "USD": "12.00"}).items():
        monthly = Decimal(price)
        OfferPrice.objects.create(
            offer=made,
            currency=currency,
            monthly_term_price=monthly,
            annual_term_price=(monthly * Decimal("0.9")).quantize(Decimal("0.01")),
        )
    return made


def subscription(
    relationship: CustomerRelationship | None = None,
    *,
    customer: Organization | None = None,
    reseller: Organization | None = None,
    provider: Organization | None = None,
    offer_: Offer | None = None,
    quantity: int = 1,
    unit_price: str = "10.00",
    currency: str = "EUR",
    status: str = Subscription.Status.ACTIVE,
    purchased_at=None,
    **kwargs,
) -> Subscription:
    """A subscription of `relationship`'s customer (a new customer of a new reseller and
    provider when None), counted in the billing totals while live."""
    if customer is None or reseller is None or provider is None:
        relationship = relationship or CustomerRelationshipFactory()
        customer, reseller, provider = (
            relationship.customer,
            relationship.reseller,
            relationship.provider,
        )
    purchased_at = purchased_at or timezone.now()
    price = Decimal(unit_price)
    made = Subscription.objects.create(
        offer=offer_ or offer(),
        customer=customer,
        reseller=reseller,
        provider=provider,
        status=status,
        quantity=quantity,
        term=kwargs.pop("term", "annual"),
        billing_frequency=kwargs.pop("billing_frequency", "monthly"),
        currency=currency,
        unit_price=price,
        reseller_price=kwargs.pop("reseller_price", price),
        customer_price=kwargs.pop("customer_price", price),
        monthly_cost=price * quantity,
        purchased_at=purchased_at,
        term_start=purchased_at,
        term_end=kwargs.pop("term_end", purchased_at + timedelta(days=365)),
        change_window_ends_at=purchased_at + CHANGE_WINDOW,
        **kwargs,
    )
    if status in LIVE_STATUSES:
        billing_totals_add(made)
    return made
