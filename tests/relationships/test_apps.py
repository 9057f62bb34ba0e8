import pytest

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
