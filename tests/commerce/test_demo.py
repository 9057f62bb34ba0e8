from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from commerce.models import BillingTotal, Subscription

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
