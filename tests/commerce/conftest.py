"""Fixtures of the commerce list tests (test_lists*.py, test_billing*.py): a book of
subscriptions on both sides of one provider-reseller pair, and another tenant's
subscription that must stay invisible; and of the order and subscription page tests
(test_views.py, test_order_once.py): one customer of one provider-reseller pair."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from commerce.models import Subscription
from portal import delegation
from portal.delegation import ACTING_FOR_SESSION_KEY, DelegatedAccess
from portal.models import Organization
from tests.commerce.billing_factories import offer, subscription
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
    reseller_org,
)


@dataclass
class Book:
    provider: Organization
    reseller: Organization
    alpha: Organization  # a customer with two live subscriptions and a cancelled one
    beta: Organization  # a customer with one live subscription in USD
    alpha_seats: Subscription
    alpha_storage: Subscription
    alpha_cancelled: Subscription
    beta_seats: Subscription
    other: Subscription  # another provider, reseller and customer


@pytest.fixture
def book(db) -> Book:
    provider = provider_org(legal_name="Bookprov Distribution")
    reseller = reseller_org(legal_name="Bookresell IT")
    pair = ProviderRelationshipFactory(provider=provider, reseller=reseller)
    alpha = CustomerRelationshipFactory(
        relationship=pair, customer=customer_org(legal_name="Alphacust Retail")
    )
    beta = CustomerRelationshipFactory(
        relationship=pair, customer=customer_org(legal_name="Betacust Foods")
    )
    seats = offer("Seats Suite")
    storage = offer("Storage Plan", kind="usage", unit="100 GB")
    other = subscription(
        CustomerRelationshipFactory(customer=customer_org(legal_name="Othercust Travel")),
        offer_=offer("Othersuite Plan"),
        quantity=99,
        unit_price="5.00",
    )
    return Book(
        provider=provider,
        reseller=reseller,
        alpha=alpha.customer,
        beta=beta.customer,
        alpha_seats=subscription(alpha, offer_=seats, quantity=3, unit_price="10.50"),
        alpha_storage=subscription(alpha, offer_=storage, quantity=2, unit_price="1234.25"),
        alpha_cancelled=subscription(
            alpha, offer_=seats, quantity=4, unit_price="7.00", status="cancelled"
        ),
        beta_seats=subscription(beta, offer_=seats, quantity=5, currency="USD", unit_price="12"),
        other=other,
    )


@pytest.fixture
def shared():
    """Adatum Retail, a customer of Contoso Distribution's reseller."""
    return CustomerRelationshipFactory(
        customer=customer_org(legal_name="Adatum Retail S.p.A."),
        relationship=ProviderRelationshipFactory(
            provider=provider_org(legal_name="Contoso Distribution")
        ),
    )


@pytest.fixture
def delegated_client(monkeypatch, client_for):
    """A client of a partner's agent acting in `customer`'s account with `roles` (the way a
    delegation app's source grants them; here a source registered for the test only)."""

    def make(customer: Organization, partner: Organization, roles: set[str]):
        from tests.factories import member

        agent = member(partner, admin_agent=True)
        monkeypatch.setattr(
            delegation,
            "_sources",
            [
                lambda user, org, lock=False: (
                    DelegatedAccess(partner=partner, roles=frozenset(roles))
                    if user.pk == agent.user_id and org.pk == customer.pk
                    else None
                )
            ],
        )
        client = client_for(agent)
        session = client.session
        session[ACTING_FOR_SESSION_KEY] = customer.pk
        session.save()
        return client

    return make
