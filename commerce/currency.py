"""The currency an order is priced in: the customer's market's (the currency of the country in
its account); none when the account has no country. The order service, the order page, the demo
and the scale generator all ask here (tests/test_rules.py fails on a second derivation)."""

from __future__ import annotations

from portal.models import Market, Organization


def order_currency(customer: Organization) -> str | None:
    return market_currency(customer.country)


def market_currency(market: Market | None) -> str | None:
    """What a market's orders are priced in (its country's currency)."""
    return market.currency if market is not None else None


def order_currency_lookup(customer_path: str) -> str:
    """The same rule inside a query: the lookup of the order currency of the customer reached by
    `customer_path` (`values_list(order_currency_lookup("customer"))`)."""
    return f"{customer_path}__country__currency"
