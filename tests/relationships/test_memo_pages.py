"""The relationships lists compile their SQL once per organization and query string
(`ListPage.memo_page`, `memo_uncounted_page`, the Recent changes and regions selectors,
`portal.sqlmemo`) and keep nothing else: a change shows on the very next request, and each
tenant's page reads its own rows only."""

from __future__ import annotations

import pytest

from relationships.models import ProviderRelationship, RelationshipEvent
from tests.factories import member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    ResellerInvitationFactory,
)

pytestmark = pytest.mark.django_db


def test_resellers_page_shows_a_change_on_the_next_request(client_for):
    first = ProviderRelationshipFactory()
    provider = first.provider
    client = client_for(member(provider))
    text = client.get("/indirect-resellers/").text
    assert first.reseller.legal_name in text and "1 result" in text

    second = ProviderRelationshipFactory(provider=provider)
    CustomerRelationshipFactory(relationship=second)
    invitation = ResellerInvitationFactory(organization=provider)
    RelationshipEvent.objects.create(
        relationship=second, type=RelationshipEvent.Type.ENDED, actor_organization=provider
    )
    text = client.get("/indirect-resellers/").text
    assert second.reseller.legal_name in text and "2 results" in text
    assert "1 customer" in text
    assert invitation.email in text
    assert f"Relationship ended: {provider.legal_name} and {second.reseller.legal_name}" in text


def test_each_provider_reads_its_own_rows_from_the_same_statements(client_for):
    one = CustomerRelationshipFactory()
    two = CustomerRelationshipFactory()
    for shared, other in ((one, two), (two, one), (one, two)):
        client = client_for(member(shared.provider))
        for path in ("/customers/", "/indirect-resellers/"):
            text = client.get(path).text
            assert shared.reseller.legal_name in text
            assert other.reseller.legal_name not in text
        text = client.get("/customers/").text
        assert shared.customer.legal_name in text
        assert other.customer.legal_name not in text


def test_customers_page_shows_a_new_customer_and_the_new_count_on_the_next_request(client_for):
    shared = CustomerRelationshipFactory()
    client = client_for(member(shared.provider))
    assert "1 result" in client.get("/customers/").text
    relationship = ProviderRelationship.objects.get(provider=shared.provider)
    added = CustomerRelationshipFactory(relationship=relationship)
    text = client.get("/customers/").text
    assert added.customer.legal_name in text and "2 results" in text
