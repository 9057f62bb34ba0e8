import pytest

from relationships import selectors
from tests.factories import member
from tests.relationships.factories import ProviderRelationshipFactory, reseller_org

pytestmark = pytest.mark.django_db


def test_dashboard_panel_counts_partners_on_both_sides(client_for):
    relationship = ProviderRelationshipFactory()
    reseller_text = client_for(member(relationship.reseller)).get("/dashboard/").text
    assert "You work with 1 indirect provider." in reseller_text
    provider_text = client_for(member(relationship.provider)).get("/dashboard/").text
    assert "1 indirect reseller works with you." in provider_text


def test_dashboard_panel_points_a_new_reseller_to_the_directory(client_for):
    text = client_for(member(reseller_org())).get("/dashboard/").text
    assert "You don't work with an indirect provider yet." in text
    assert 'href="/find-a-provider/"' in text


def test_dashboard_panel_counts_a_big_book_up_to_a_cap(client_for, monkeypatch):
    """A provider's dashboard does not count every relationship it holds: past the cap it says
    "More than"; under it, the exact number."""
    monkeypatch.setattr(selectors, "DASHBOARD_COUNT_CAP", 2)
    provider = ProviderRelationshipFactory().provider
    client = client_for(member(provider))
    assert "1 indirect reseller works with you." in client.get("/dashboard/").text
    for _ in range(2):
        ProviderRelationshipFactory(provider=provider)
    text = client.get("/dashboard/").text
    assert "More than 2 indirect resellers work with you." in text
    assert "3 indirect resellers" not in text
