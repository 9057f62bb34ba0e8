"""The queue's country filter writes its options once per list of choices and chosen value
(`verification.forms.MarketSelect`, `portal.selectors.market_and_region_names`): the markets are
read on every request (by SQL compiled once), so a new market, a renamed region, a chosen country
or another language shows at once."""

from __future__ import annotations

import pytest
from django.utils.translation import override

from portal.models import Market, Region
from verification.forms import QueueFilterForm

pytestmark = pytest.mark.django_db


def _country_select(data=None) -> str:
    return str(QueueFilterForm(data)["country"])


def test_a_new_market_a_chosen_country_and_the_language_show_on_the_next_read():
    first = _country_select()
    assert _country_select() == first
    assert 'value="XA"' not in first
    Market.objects.create(code="XA", name="Atlantis", region=Region.objects.first(), currency="EUR")
    assert '<option value="XA">Atlantis</option>' in _country_select()
    assert '<option value="IT" selected>' in _country_select({"country": "IT"})
    assert '<option value="IT">' in _country_select()
    with override("it"):
        assert "Tutti i paesi" in _country_select()
        assert '<option value="IT">Italia</option>' in _country_select()
    assert "All countries" in _country_select()


def test_a_renamed_region_and_a_new_market_show_on_the_next_read():
    from portal.selectors import market_and_region_names

    markets, regions = market_and_region_names()
    assert market_and_region_names() == (markets, regions)
    region = Market.objects.get(code="IT").region
    Region.objects.filter(pk=region.pk).update(name="Renamed Region")
    assert (region.pk, "Renamed Region") in market_and_region_names()[1]
    Market.objects.create(code="XB", name="Lemuria", region=region, currency="EUR")
    assert ("XB", "Lemuria") in market_and_region_names()[0]
