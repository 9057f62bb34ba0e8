"""Demo charges and invoices (issue 25), after commerce's demo subscriptions. Idempotent.

For every subscription Northwind IT resells from Contoso Distribution (commerce's demo: two of
them are annual terms billed monthly, bought 100 and 70 days ago, so the months since have
lines): tier prices (Contoso sells to Northwind at 10 % over the catalogue price, Northwind to
its customers at 25 %), the lines its purchase wrote, the monthly lines due, daily usage of the
usage-based one up to yesterday, and every month up to the previous one closed: its invoices
issued (Contoso -> Northwind, Northwind -> Adatum, Proseware, Woodgrove) without emails."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from commerce.models import Offer, Order, Subscription, SubscriptionEvent
from invoicing.models import BillingPeriod, Charge
from invoicing.services import (
    CENT,
    charges_on_subscription_change,
    charges_recurring_sweep,
    month_start,
    next_month,
    period_close,
    previous_period,
    usage_import,
)

from .commerce import _org

RESELLER_MARKUP = Decimal("1.10")
CUSTOMER_MARKUP = Decimal("1.25")


def _tier_prices(subscription: Subscription) -> None:
    """Contoso sells to Northwind at 10 % over the catalogue price, Northwind to its customers
    at 25 %: set on a subscription still at the catalogue price at every tier and not charged
    yet (the prices its purchase locked, as a price list would have)."""
    unit = subscription.unit_price
    if not subscription.reseller_price == subscription.customer_price == unit:
        return
    if Charge.objects.filter(subscription_id=subscription.pk).exists():
        return
    subscription.reseller_price = (unit * RESELLER_MARKUP).quantize(CENT)
    subscription.customer_price = (unit * CUSTOMER_MARKUP).quantize(CENT)
    subscription.save(update_fields=["reseller_price", "customer_price"])
    Order.objects.filter(subscription=subscription).update(
        reseller_price=subscription.reseller_price, customer_price=subscription.customer_price
    )


def _usage(subscription: Subscription) -> None:
    """A deterministic daily quantity from the purchase to yesterday."""
    day = timezone.localtime(subscription.purchased_at).date()
    yesterday = timezone.localdate() - timedelta(days=1)
    rows = []
    while day <= yesterday:
        rows.append((subscription.pk, day, Decimal(3 + (day.toordinal() * 7) % 5)))
        day += timedelta(days=1)
    if rows:
        usage_import(subscription.provider, rows)


@transaction.atomic
def seed() -> None:
    contoso = _org("contoso-distribution.example")
    northwind = _org("northwind-it.example")
    if contoso is None or northwind is None:
        return
    subscriptions = Subscription.objects.filter(reseller=northwind).select_related(
        "offer", "provider"
    )
    for subscription in subscriptions:
        _tier_prices(subscription)
        if subscription.offer.kind == Offer.Kind.USAGE:
            _usage(subscription)
            continue
        for event in subscription.events.filter(type=SubscriptionEvent.Type.ORDERED):
            charges_on_subscription_change(subscription, event)
    charges_recurring_sweep(only=subscriptions)
    # Each month up to the previous one closed in turn, so each invoice holds its own month.
    first = Charge.objects.filter(invoice__isnull=True).order_by("charge_date").first()
    month = month_start(first.charge_date) if first else previous_period()
    while month <= previous_period():
        # A month already begun is someone else's to finish (seed_scale reopens the previous
        # month for `close_period` at scale): the demo closes only months never closed.
        if not BillingPeriod.objects.filter(period=month).exists():
            period_close(month, notify=False)
        month = next_month(month)
