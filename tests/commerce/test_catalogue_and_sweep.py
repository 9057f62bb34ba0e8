from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings

from commerce.catalogue import OFFERS, price_in
from commerce.models import Offer, OfferPrice, Subscription
from commerce.tasks import commerce_sweep
from portal.models import Market
from tests.commerce.factories import subscription_for
from tests.factories import member
from tests.relationships.factories import CustomerRelationshipFactory

pytestmark = pytest.mark.django_db


def test_every_seeded_offer_has_a_price_in_every_market_currency():
    currencies = set(Market.objects.values_list("currency", flat=True))
    assert len(OFFERS) == 12 and Offer.objects.filter(is_active=True).count() >= 12
    for offer in Offer.objects.filter(code__in=[o[0] for o in OFFERS]):
        prices = {p.currency: p for p in offer.prices.all()}
        assert set(prices) == currencies, offer
        for price in prices.values():
            assert 0 < price.annual_term_price < price.monthly_term_price


def test_prices_are_rounded_as_each_currency_is_written():
    assert price_in(Decimal("12.50"), "EUR") == Decimal("11.50")
    assert price_in(Decimal("12.50"), "JPY") == Decimal("1880")
    assert price_in(Decimal("12.50"), "KRW") == Decimal("16900")
    eur = OfferPrice.objects.get(offer__code="object-storage", currency="EUR")
    assert eur.monthly_term_price == Decimal("2.12")


def test_the_beat_schedule_runs_the_sweep_task():
    entry = settings.CELERY_BEAT_SCHEDULE["commerce-sweep"]
    assert entry["task"] == "commerce.tasks.commerce_sweep"


def test_the_task_renews_and_expires_what_is_due():
    shared = CustomerRelationshipFactory()
    renewing = subscription_for(shared)
    ending = subscription_for(shared, code="object-storage", auto_renew=False)
    later = subscription_for(shared, code="secure-mail-plus", term="annual")
    with time_machine.travel(renewing.term_end + timedelta(hours=1), tick=False):
        assert commerce_sweep() == 2
    statuses = dict(Subscription.objects.values_list("pk", "status"))
    assert statuses == {renewing.pk: "active", ending.pk: "expired", later.pk: "active"}


def test_operator_admin_edits_offers_with_their_prices(client):
    staff = member(None)
    staff.user.is_staff = staff.user.is_superuser = True
    staff.user.save()
    client.force_login(staff.user)
    offer = Offer.objects.get(code="endpoint-guard")
    page = client.get(f"/operator-admin/commerce/offer/{offer.pk}/change/")
    assert page.status_code == 200 and "EUR" in page.text
    listing = client.get("/operator-admin/commerce/offer/?kind__exact=usage&q=storage")
    assert "Object Storage (per 100 GB)" in listing.text
    assert "Endpoint Guard" not in listing.text
