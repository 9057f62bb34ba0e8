"""Commerce rows for tests, written directly (not through the services) with the running totals
kept right, so a page or a sweep can be tested from any state."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from commerce.billing import billing_totals_add
from commerce.models import Offer, OfferPrice, Subscription
from commerce.services import subscription_new
from relationships.models import CustomerRelationship


def offer(code: str = "team-workspace-standard") -> Offer:
    """One of the seeded offers (the data migration puts them in every database)."""
    return Offer.objects.get(code=code)


def price(offer_: Offer, currency: str) -> OfferPrice:
    return OfferPrice.objects.get(offer=offer_, currency=currency)


def subscription_for(
    shared: CustomerRelationship,
    *,
    code: str = "team-workspace-standard",
    quantity: int = 7,
    term: str = "monthly",
    purchased: datetime | None = None,
    auto_renew: bool = True,
    currency: str = "EUR",
) -> Subscription:
    purchased = purchased or timezone.now()
    the_offer = offer(code)
    unit = price(the_offer, currency).monthly_term_price
    if term == "annual":
        unit = price(the_offer, currency).annual_term_price
    subscription = subscription_new(
        offer=the_offer,
        customer=shared.customer,
        reseller=shared.reseller,
        provider=shared.provider,
        quantity=quantity,
        term=term,
        billing_frequency="monthly",
        currency=currency,
        unit_price=unit,
        auto_renew=auto_renew,
        purchased_at=purchased,
    )
    subscription.save()
    billing_totals_add(subscription)
    return subscription


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


ZERO = Decimal("0")
