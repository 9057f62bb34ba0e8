"""Charge lines at both tiers for every subscription change (issue 25 acceptance: proration to
the day with time-machine: an increase on day 10 of 30, a decrease inside the window, a renewal
after a price change)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from commerce.models import PriceRule
from commerce.services import (
    subscription_cancel,
    subscription_quantity_change,
    subscriptions_sweep_due,
)
from invoicing.models import Charge, Tier
from invoicing.services import charges_recurring_sweep
from tests.factories import acting
from tests.invoicing.conftest import at, order

pytestmark = pytest.mark.django_db


def lines(subscription, kind):
    return {
        c.tier: c
        for c in Charge.objects.filter(subscription_id=subscription.pk, kind=kind).order_by("pk")
    }


def test_purchase_writes_the_first_month_at_both_tiers(world):
    subscription = order(world, at(2026, 6, 1), quantity=10)
    purchase = lines(subscription, Charge.Kind.PURCHASE)
    provider, reseller = purchase[Tier.PROVIDER], purchase[Tier.RESELLER]
    assert (provider.seller, provider.buyer) == (world["pair"].provider, world["pair"].reseller)
    assert (reseller.seller, reseller.buyer) == (world["pair"].reseller, subscription.customer)
    assert provider.amount == Decimal("100.00") and provider.unit_price == Decimal("10.00")
    assert reseller.amount == Decimal("120.00") and reseller.unit_price == Decimal("12.00")
    assert provider.currency == reseller.currency == "EUR"
    assert (provider.service_start, provider.service_end) == (date(2026, 6, 1), date(2026, 6, 30))
    assert provider.charge_date == date(2026, 6, 1)


def test_annual_billing_charges_the_whole_term_at_purchase(world):
    subscription = order(
        world, at(2026, 6, 1), term="annual", billing_frequency="annual", quantity=2
    )
    purchase = lines(subscription, Charge.Kind.PURCHASE)
    assert purchase[Tier.PROVIDER].amount == Decimal("240.00")  # 2 x 10.00 x 12 months
    assert purchase[Tier.RESELLER].amount == Decimal("288.00")
    assert purchase[Tier.RESELLER].service_end == date(2027, 5, 31)


def test_an_increase_on_day_10_of_30_is_charged_for_21_days(world):
    # June has 30 days; the change day counts: June 10 to 30 inclusive is 21 days.
    subscription = order(world, at(2026, 6, 1), quantity=10)
    with time_machine.travel(at(2026, 6, 10, 15), tick=False):
        subscription_quantity_change(
            **acting(world["northwind"]), subscription_id=subscription.pk, quantity=13
        )
    increase = lines(subscription, Charge.Kind.QUANTITY_INCREASE)
    assert increase[Tier.PROVIDER].amount == Decimal("21.00")  # 3 x 10.00 x 21/30
    assert increase[Tier.RESELLER].amount == Decimal("25.20")  # 3 x 12.00 x 21/30
    assert increase[Tier.PROVIDER].quantity == 3
    assert (increase[Tier.RESELLER].service_start, increase[Tier.RESELLER].service_end) == (
        date(2026, 6, 10),
        date(2026, 6, 30),
    )


def test_an_increase_mid_term_of_a_monthly_billed_annual_term_is_prorated_in_its_month(world):
    subscription = order(world, at(2026, 6, 1), term="annual", quantity=10)
    with time_machine.travel(at(2026, 9, 20), tick=False):
        subscription_quantity_change(
            **acting(world["northwind"]), subscription_id=subscription.pk, quantity=11
        )
    increase = lines(subscription, Charge.Kind.QUANTITY_INCREASE)
    # September: 30 days; 20th to 30th = 11 days. 1 x 12.00 x 11/30 = 4.40
    assert increase[Tier.RESELLER].amount == Decimal("4.40")
    assert increase[Tier.PROVIDER].amount == Decimal("3.67")  # 3.666.. half up


def test_a_decrease_inside_the_window_is_a_prorated_credit(world):
    subscription = order(world, at(2026, 6, 1), quantity=10)
    with time_machine.travel(at(2026, 6, 4), tick=False):
        subscription_quantity_change(
            **acting(world["northwind"]), subscription_id=subscription.pk, quantity=7
        )
    credit = lines(subscription, Charge.Kind.QUANTITY_DECREASE)
    # June 4 to 30: 27 days of 30; -3 x 10.00 x 27/30 = -27.00; -3 x 12.00 x 27/30 = -32.40
    assert credit[Tier.PROVIDER].amount == Decimal("-27.00")
    assert credit[Tier.RESELLER].amount == Decimal("-32.40")
    assert credit[Tier.PROVIDER].quantity == -3


def test_a_cancellation_inside_the_window_credits_the_unused_days(world):
    subscription = order(world, at(2026, 6, 1), quantity=10)
    with time_machine.travel(at(2026, 6, 7), tick=False):
        subscription_cancel(**acting(world["northwind"]), subscription_id=subscription.pk)
    credit = lines(subscription, Charge.Kind.CANCELLATION)
    # June 7 to 30: 24 days. -10 x 10.00 x 24/30 = -80.00
    assert credit[Tier.PROVIDER].amount == Decimal("-80.00")
    assert credit[Tier.RESELLER].amount == Decimal("-96.00")


def test_a_renewal_after_a_price_change_charges_the_new_prices(world):
    subscription = order(world, at(2026, 6, 1), quantity=5)
    # Price lists change mid-term: the running term keeps its prices, the renewal takes these.
    for seller, buyer, price in (
        (subscription.provider, subscription.reseller, "11.00"),
        (subscription.reseller, subscription.customer, "13.50"),
    ):
        PriceRule.objects.create(
            organization=seller,
            buyer=buyer,
            offer=subscription.offer,
            currency=subscription.currency,
            kind=PriceRule.Kind.FIXED,
            fixed_price=Decimal(price),
            effective_from=date(2026, 6, 15),
        )
    with time_machine.travel(subscription.term_end + timedelta(minutes=5), tick=False):
        assert subscriptions_sweep_due() == 1
    renewal = lines(subscription, Charge.Kind.RENEWAL)
    assert renewal[Tier.PROVIDER].amount == Decimal("55.00")
    assert renewal[Tier.RESELLER].amount == Decimal("67.50")
    assert renewal[Tier.RESELLER].service_start == date(2026, 7, 1)
    assert renewal[Tier.RESELLER].charge_date == date(2026, 7, 1)
    # The purchase kept the old prices.
    assert lines(subscription, Charge.Kind.PURCHASE)[Tier.PROVIDER].amount == Decimal("50.00")


def test_monthly_lines_of_an_annual_term_are_written_once_each_month(world):
    subscription = order(world, at(2026, 6, 15), term="annual", quantity=4)
    with time_machine.travel(at(2026, 8, 20), tick=False):
        assert charges_recurring_sweep() == 4  # July 15 and August 15, two tiers each
        assert charges_recurring_sweep() == 0
    recurring = Charge.objects.filter(subscription_id=subscription.pk, kind="recurring")
    assert sorted({c.charge_date for c in recurring}) == [date(2026, 7, 15), date(2026, 8, 15)]
    assert {c.amount for c in recurring.filter(tier=Tier.RESELLER)} == {Decimal("48.00")}


def test_usage_offers_get_no_seat_lines(world):
    subscription = order(world, at(2026, 6, 1), code="object-storage", quantity=1)
    assert not Charge.objects.filter(subscription_id=subscription.pk).exists()


def test_a_change_on_the_month_day_before_the_sweep_is_not_billed_twice(world):
    subscription = order(world, at(2026, 6, 15), term="annual", quantity=4)
    with time_machine.travel(at(2026, 7, 15, 0), tick=False):
        subscription_quantity_change(
            **acting(world["northwind"]), subscription_id=subscription.pk, quantity=6
        )
    with time_machine.travel(at(2026, 7, 15, 6), tick=False):
        charges_recurring_sweep()
    july = Charge.objects.filter(
        subscription_id=subscription.pk, tier=Tier.RESELLER, charge_date=date(2026, 7, 15)
    )
    # The recurring line at the month's first-day quantity (4) + the increase for the month (2).
    assert {c.kind: c.quantity for c in july} == {"recurring": 4, "quantity_increase": 2}
    assert sum(c.amount for c in july) == Decimal("72.00")  # 6 x 12.00
