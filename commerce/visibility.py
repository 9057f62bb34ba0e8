"""Who sees which price of a subscription. Each party sees only its own buy and sell prices:

- the customer: what it pays (the customer price), nothing else;
- the reseller: what it pays the provider (the reseller price) and what it charges its
  customer (the customer price), never the provider's cost;
- the provider: its cost (the catalogue price, `unit_price`) and what it charges the reseller
  (the reseller price), never what the reseller charges its customer.

Every page, export, email and API response that shows a subscription's price reads it here
(`prices_seen_by`), by the viewer's side of the subscription."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from .models import Order, Subscription
from .pricing import TierPrices

PROVIDER, RESELLER, CUSTOMER = "provider", "reseller", "customer"

# The field a side buys at and the field it sells at (None: it sells to nobody).
PRICE_FIELDS: dict[str, tuple[str, str | None]] = {
    PROVIDER: ("unit_price", "reseller_price"),
    RESELLER: ("reseller_price", "customer_price"),
    CUSTOMER: ("customer_price", None),
}


class SeenPrices(NamedTuple):
    """Unit prices per month and monthly amounts at the current quantity, for one viewer."""

    side: str
    buy_unit: Decimal
    buy_monthly: Decimal
    sell_unit: Decimal | None
    sell_monthly: Decimal | None


def side_of(subscription: Subscription | Order, organization_id: int | None) -> str:
    """The viewer's side: the provider's, the reseller's, else the customer's (a partner acting
    in the customer's account through delegated access sees what the customer sees)."""
    if organization_id is not None and organization_id == subscription.provider_id:
        return PROVIDER
    if organization_id is not None and organization_id == subscription.reseller_id:
        return RESELLER
    return CUSTOMER


def prices_seen_by(subscription: Subscription | Order, organization_id: int | None) -> SeenPrices:
    side = side_of(subscription, organization_id)
    buy_field, sell_field = PRICE_FIELDS[side]
    quantity = subscription.quantity
    buy = getattr(subscription, buy_field)
    sell = getattr(subscription, sell_field) if sell_field else None
    return SeenPrices(
        side, buy, buy * quantity, sell, sell * quantity if sell is not None else None
    )


def seen_tier(prices: TierPrices, side: str) -> tuple[Decimal, Decimal | None]:
    """(buy, sell) unit prices of `prices` that `side` may see (sell None for a customer)."""
    by_field = {
        "unit_price": prices.cost,
        "reseller_price": prices.reseller,
        "customer_price": prices.customer,
    }
    buy_field, sell_field = PRICE_FIELDS[side]
    return by_field[buy_field], by_field[sell_field] if sell_field else None
