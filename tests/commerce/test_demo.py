from decimal import ROUND_HALF_UP, Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from commerce.models import BillingTotal, PriceRule, Subscription

pytestmark = pytest.mark.django_db


def test_demo_subscriptions_in_euro_in_and_out_of_their_window():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # idempotent
    subscriptions = list(Subscription.objects.select_related("provider", "reseller"))
    assert len(subscriptions) == 4
    assert {s.currency for s in subscriptions} == {"EUR"}
    assert {s.provider.primary_domain for s in subscriptions} == {"contoso-distribution.example"}
    assert {s.reseller.primary_domain for s in subscriptions} == {"northwind-it.example"}
    now = timezone.now()
    assert any(s.in_change_window and (now - s.purchased_at).days == 2 for s in subscriptions)
    assert any(s.auto_renew and (s.term_end - now).days in (2, 3) for s in subscriptions)
    assert any(not s.in_change_window for s in subscriptions)
    contoso = subscriptions[0].provider
    total = BillingTotal.objects.get(organization=contoso, customer=None, currency="EUR")
    assert total.subscriptions == 4
    assert total.monthly_cost == sum(s.monthly_cost for s in subscriptions)


def test_demo_prices_come_from_the_demo_price_lists():
    """Contoso sells to Northwind at +12%, Northwind to its customers at +20%, and to Adatum
    Retail at a fixed 11.50 for Team Workspace Standard; each party's totals at its own price."""
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # idempotent: no second rule
    rules = PriceRule.objects.filter(effective_from__isnull=False)
    assert (
        rules.count()
        == rules.values("organization", "buyer", "offer", "currency").distinct().count()
    )
    cent = Decimal("0.01")
    for s in Subscription.objects.select_related("offer", "customer", "reseller"):
        assert s.reseller_price == (s.unit_price * Decimal("1.12")).quantize(cent, ROUND_HALF_UP)
        if s.offer.code == "team-workspace-standard" and s.customer.primary_domain.startswith(
            "adatum"
        ):
            assert s.customer_price == Decimal("11.50")
        else:
            assert s.customer_price == (s.reseller_price * Decimal("1.2")).quantize(
                cent, ROUND_HALF_UP
            )
        northwind = s.reseller
    total = BillingTotal.objects.get(organization=northwind, customer=None, currency="EUR")
    assert total.monthly_cost == sum(
        s.reseller_price * s.quantity for s in Subscription.objects.all()
    )
