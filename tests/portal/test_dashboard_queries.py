"""The reseller's and the provider's dashboards cost the same whatever their relationships,
events, notifications and the programme's cases."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Notification
from relationships.models import RelationshipEvent
from tests.factories import member
from tests.queries import warm
from tests.relationships.factories import ProviderRelationshipFactory, provider_org, reseller_org

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    warm(client)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def _grow(provider, reseller, n: int) -> None:
    for _ in range(n):
        relationship = ProviderRelationshipFactory(provider=provider, reseller=reseller_org())
        RelationshipEvent.objects.create(relationship=relationship, type="authorized")
        relationship = ProviderRelationshipFactory(provider=provider_org(), reseller=reseller)
        RelationshipEvent.objects.create(relationship=relationship, type="authorized")
        Notification.objects.create(organization=reseller, message="Something changed")
        Notification.objects.create(organization=provider, message="Something changed")


@pytest.mark.parametrize("side", ["reseller", "provider"])
def test_dashboard_runs_the_same_queries_for_1_and_3_partners(client_for, side):
    provider, reseller = provider_org(), reseller_org()
    client = client_for(member(provider if side == "provider" else reseller))
    _grow(provider, reseller, 1)
    one = _queries(client, "/dashboard/")
    _grow(provider, reseller, 2)
    assert _queries(client, "/dashboard/") == one
    assert one <= 10


@pytest.mark.parametrize("side", ["reseller", "provider"])
def test_partner_lists_read_latest_changes_with_the_same_queries_for_1_and_3_events(
    client_for, side
):
    provider, reseller = provider_org(), reseller_org()
    client = client_for(member(provider if side == "provider" else reseller))
    url = "/indirect-resellers/" if side == "provider" else "/indirect-providers/"
    _grow(provider, reseller, 1)
    one = _queries(client, url)
    _grow(provider, reseller, 2)
    assert _queries(client, url) == one
