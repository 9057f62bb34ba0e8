"""Running billing totals (`BillingTotal`): every change of a live subscription's cost goes
through `billing_totals_apply`, inside the change's transaction, for the three organizations that
see the subscription (its customer, reseller and provider), in total and per customer.

Each organization's totals are what it pays, at its own buy price: the customer's at the
customer price, the reseller's at the reseller price (what the provider bills it), the
provider's at the catalogue price (its cost). So no organization's Billing page adds up
another tier's prices (README "Price tiers")."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from django.db.models import F
from django.db.models.functions import Round

from .models import BillingTotal, Subscription

LIVE_STATUSES = frozenset({Subscription.Status.ACTIVE, Subscription.Status.SUSPENDED})


class TierAmounts(NamedTuple):
    """Monthly amounts at each tier's price: the provider's cost, the reseller's, the
    customer's."""

    cost: Decimal
    reseller: Decimal
    customer: Decimal

    def __neg__(self) -> TierAmounts:
        return TierAmounts(-self.cost, -self.reseller, -self.customer)

    def __sub__(self, other: tuple) -> TierAmounts:
        return TierAmounts(*(a - b for a, b in zip(self, other, strict=True)))


def monthly_amounts(subscription: Subscription) -> TierAmounts:
    """What the subscription costs a month at each tier's price, at its current quantity."""
    quantity = subscription.quantity
    return TierAmounts(
        subscription.unit_price * quantity,
        subscription.reseller_price * quantity,
        subscription.customer_price * quantity,
    )


def billing_totals_apply(
    *, subscription: Subscription, amounts: TierAmounts, count_delta: int
) -> None:
    """Add `amounts` (the change of the monthly cost at each tier's price) and `count_delta`
    (live subscriptions) to the totals of the subscription's customer (its price), reseller (the
    reseller price) and provider (the cost), each overall and for this customer. Rows are
    created on first use; the update is one statement per row (`F()`), so concurrent orders add
    up instead of overwriting each other. The sum is rounded to the cent in SQL: SQLite keeps a
    decimal column as a binary float, and unrounded additions would drift (a total back to
    nothing would read -0.00 and stay listed); on PostgreSQL the rounding changes nothing."""
    if not any(amounts) and not count_delta:
        return
    holders = {
        subscription.provider_id: amounts.cost,
        subscription.reseller_id: amounts.reseller,
        subscription.customer_id: amounts.customer,
    }
    for organization_id in sorted(holders):  # a fixed order: no deadlock between two changes
        delta = holders[organization_id]
        for customer_id in (None, subscription.customer_id):
            row, _created = BillingTotal.objects.get_or_create(
                organization_id=organization_id,
                customer_id=customer_id,
                currency=subscription.currency,
            )
            BillingTotal.objects.filter(pk=row.pk).update(
                monthly_cost=Round(F("monthly_cost") + delta, 2),
                subscriptions=F("subscriptions") + count_delta,
            )


def billing_totals_add(subscription: Subscription, sign: int = 1) -> None:
    """A live subscription joins (`sign` 1) or leaves (-1) the totals."""
    amounts = monthly_amounts(subscription)
    billing_totals_apply(
        subscription=subscription, amounts=amounts if sign > 0 else -amounts, count_delta=sign
    )
