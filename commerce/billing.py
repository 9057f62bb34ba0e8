"""Running billing totals (`BillingTotal`): every change of a live subscription's cost goes
through `billing_totals_apply`, inside the change's transaction, for the three organizations that
see the subscription (its customer, reseller and provider), in total and per customer."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F
from django.db.models.functions import Round

from .models import BillingTotal, Subscription

LIVE_STATUSES = frozenset({Subscription.Status.ACTIVE, Subscription.Status.SUSPENDED})


def billing_totals_apply(
    *, subscription: Subscription, cost_delta: Decimal, count_delta: int
) -> None:
    """Add `cost_delta` (monthly cost) and `count_delta` (live subscriptions) to the totals of the
    subscription's customer, reseller and provider, each overall and for this customer. Rows are
    created on first use; the update is one statement per row (`F()`), so concurrent orders add
    up instead of overwriting each other. The sum is rounded to the cent in SQL: SQLite keeps a
    decimal column as a binary float, and unrounded additions would drift (a total back to
    nothing would read -0.00 and stay listed); on PostgreSQL the rounding changes nothing."""
    if not cost_delta and not count_delta:
        return
    holders = {subscription.customer_id, subscription.reseller_id, subscription.provider_id}
    for organization_id in sorted(holders):  # a fixed order: no deadlock between two changes
        for customer_id in (None, subscription.customer_id):
            row, _created = BillingTotal.objects.get_or_create(
                organization_id=organization_id,
                customer_id=customer_id,
                currency=subscription.currency,
            )
            BillingTotal.objects.filter(pk=row.pk).update(
                monthly_cost=Round(F("monthly_cost") + cost_delta, 2),
                subscriptions=F("subscriptions") + count_delta,
            )
