"""The commerce scale step (`seed_scale`): subscriptions for the scale customers, their orders,
and running totals computed in SQL that equal what `billing_totals_apply` would have kept."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from commerce.billing import LIVE_STATUSES
from commerce.models import BillingTotal, Order, Subscription
from portal.models import Organization
from relationships.models import CustomerRelationship

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_scale", "--scale", "0.01", stdout=StringIO())


def _sums(qs, price, *group):
    """(count, cost) of the live subscriptions per `group` at the holder's own buy `price`
    (the provider's cost, the reseller price), added up here in Decimal from each row: an SQL
    SUM over a decimal column goes through floats on SQLite."""
    sums: dict[tuple, tuple[int, Decimal]] = {}
    for row in qs.filter(status__in=LIVE_STATUSES).values(*group, price, "quantity"):
        key = tuple(row[g] for g in group)
        n, cost = sums.get(key, (0, Decimal("0")))
        sums[key] = (n + 1, cost + row[price] * row["quantity"])
    return sums


def test_seed_gives_the_scale_customers_subscriptions_and_exact_totals(seeded, client):
    contoso = Organization.objects.get(primary_domain="contoso-distribution.example")
    northwind = Organization.objects.get(primary_domain="northwind-it.example")
    shared = CustomerRelationship.objects.filter(provider=contoso, status="active")
    billed = Subscription.objects.filter(provider=contoso)
    assert billed.values("customer").distinct().count() >= shared.count() * 0.9
    assert shared.count() <= billed.count() <= 2 * shared.count()
    assert Subscription.objects.filter(reseller=northwind).exists()
    assert Order.objects.count() == Subscription.objects.count()
    assert set(billed.values_list("status", flat=True)) == set(Subscription.Status.values)
    # Each customer buys in its market's currency.
    assert not billed.exclude(currency=models_currency()).exists()

    # Each tier sells with a margin.
    sample = billed.filter(unit_price__gt=1).first()
    assert sample.unit_price < sample.reseller_price < sample.customer_price
    for organization, side, price in (
        (contoso, "provider", "unit_price"),
        (northwind, "reseller", "reseller_price"),
    ):
        mine = Subscription.objects.filter(**{side: organization})
        totals = {
            (t.currency,): (t.subscriptions, t.monthly_cost)
            for t in BillingTotal.objects.filter(organization=organization, customer=None)
        }
        assert totals == _sums(mine, price, "currency")
        per_customer = {
            (t.customer_id, t.currency): (t.subscriptions, t.monthly_cost)
            for t in BillingTotal.objects.filter(organization=organization, customer__isnull=False)
        }
        assert per_customer == _sums(mine, price, "customer", "currency")

    client.force_login(contoso.memberships.filter(global_admin=True).first().user)
    for path in ("/subscriptions/", "/subscriptions/?q=harbor", "/billing/"):
        assert client.get(path).status_code == 200, path


def models_currency():
    from django.db.models import F

    return F("customer__country__currency")
