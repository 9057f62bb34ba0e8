"""The Subscriptions and Billing pages read their tables by SQL compiled once per organization
and filters (portal/sqlmemo.py, commerce/views_lists.py): one tenant's page never comes out of
another's memo, a filter is its own SQL, and a subscription shows on the very next request
(only the SQL is remembered, never the rows)."""

from __future__ import annotations

import pytest

from commerce.models import Subscription
from tests.commerce.billing_factories import offer, subscription
from tests.factories import member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
    reseller_org,
)

pytestmark = pytest.mark.django_db


def _provider(name: str):
    provider = provider_org(legal_name=f"{name} Distribution")
    pair = ProviderRelationshipFactory(provider=provider, reseller=reseller_org())
    shared = CustomerRelationshipFactory(
        relationship=pair, customer=customer_org(legal_name=f"{name} Customer")
    )
    return provider, shared


@pytest.mark.parametrize("path", ["/subscriptions/", "/billing/"])
def test_each_tenant_and_filter_reads_its_own_rows_and_new_ones_at_once(client_for, path):
    first, first_shared = _provider("Alpha")
    second, second_shared = _provider("Beta")
    subscription(first_shared, offer_=offer("Alpha Seats"))
    subscription(second_shared, offer_=offer("Beta Seats"))
    subscription(second_shared, offer_=offer("Beta Ended"), status=Subscription.Status.CANCELLED)
    alpha, beta = client_for(member(first)), client_for(member(second))

    for _ in range(2):  # the second time from the memo
        text = alpha.get(path).text
        assert "Alpha Seats" in text and "Alpha Customer" in text
        assert "Beta" not in text
        text = beta.get(path).text
        assert "Beta Seats" in text and "Beta Ended" in text and "Beta Customer" in text
        assert "Alpha" not in text.replace("Alpha Distribution", "")
    cancelled = beta.get(f"{path}?status=cancelled").text
    assert "Beta Ended" in cancelled and "Beta Seats" not in cancelled

    subscription(first_shared, offer_=offer("Alpha Storage"))
    assert "Alpha Storage" in alpha.get(path).text
