"""Demo subscriptions (DOMAIN.md demo data). Idempotent: run it any number of times.

Northwind IT's customers buy through Contoso Distribution in EUR (their market is Italy): one
subscription bought 2 days ago (inside its 7-day change window), one whose monthly term ends in 3
days with auto-renew on (the beat sweep renews it), and older ones whose window has passed. Rows
are written directly (not through the services, so no email goes out), with their order, history
and running billing totals.

Price lists: Contoso sells to its resellers at 12% over the catalogue; Northwind sells to its
customers at 20% over what it pays Contoso, and to Adatum Retail at a fixed price for Team
Workspace Standard. The subscriptions take their prices from `commerce.pricing.tier_prices`."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from commerce.billing import billing_totals_add
from commerce.catalogue import catalogue_seed
from commerce.currency import order_currency
from commerce.models import (
    Offer,
    OfferPrice,
    Order,
    PriceRule,
    Subscription,
    SubscriptionEvent,
)
from commerce.pricing import tier_prices
from commerce.services import add_months, subscription_new, term_end_after
from portal.models import Market, Membership, Organization

from .portal import demo_days_ago

# (customer domain, offer code, quantity, term, how the dates are set, days)
# "bought": purchased `days` ago; "ends": the current (monthly) term ends in `days` days.
DEMO_SUBSCRIPTIONS: list[tuple[str, str, int, str, str, float]] = [
    ("adatum-retail.example", "team-workspace-standard", 25, "annual", "bought", 2),
    ("adatum-retail.example", "endpoint-guard", 30, "monthly", "ends", 3),
    # Older annual terms billed monthly, so invoicing's demo has a few months of lines.
    ("proseware-italia.example", "secure-mail-plus", 12, "annual", "bought", 100),
    ("woodgrove-trattorie.example", "object-storage", 8, "annual", "bought", 70),
]


# (seller domain, buyer domain or None for all its buyers, offer code or None for every offer,
#  markup % or None, fixed price or None, currency). In force from a year ago.
DEMO_PRICE_RULES: list[tuple[str, str | None, str | None, str | None, str | None, str]] = [
    ("contoso-distribution.example", None, None, "12", None, "EUR"),
    ("northwind-it.example", None, None, "20", None, "EUR"),
    (
        "northwind-it.example",
        "adatum-retail.example",
        "team-workspace-standard",
        None,
        "11.50",
        "EUR",
    ),
]


def _price_rules(placed_by) -> None:
    """The demo's price lists (idempotent: one rule per seller, buyer, offer and currency)."""
    since = timezone.localdate() - timedelta(days=365)
    for seller_domain, buyer_domain, code, markup, fixed, currency in DEMO_PRICE_RULES:
        seller = _org(seller_domain)
        buyer = _org(buyer_domain) if buyer_domain else None
        if seller is None or (buyer_domain and buyer is None):
            continue
        offers = Offer.objects.filter(prices__currency=currency)
        if code:
            offers = offers.filter(code=code)
        for offer in offers:
            PriceRule.objects.get_or_create(
                organization=seller,
                buyer=buyer,
                offer=offer,
                currency=currency,
                effective_from=since,
                defaults={
                    "kind": PriceRule.Kind.FIXED if fixed else PriceRule.Kind.MARKUP,
                    "markup_percent": Decimal(markup) if markup else None,
                    "fixed_price": Decimal(fixed) if fixed else None,
                    "created_by": placed_by,
                },
            )


def _org(domain: str) -> Organization | None:
    return Organization.objects.filter(primary_domain=domain).select_related("country").first()


def _admin_user(org: Organization):
    membership = (
        Membership.objects.filter(organization=org, global_admin=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _dates(how: str, days: float, term: str) -> tuple[datetime, datetime]:
    """(term start = purchase, term end)."""
    if how == "ends":
        end = timezone.now() + timedelta(days=days)
        return add_months(end, -1 if term == "monthly" else -12), end
    start = demo_days_ago(days)
    return start, term_end_after(start, term)


@transaction.atomic
def seed() -> None:
    catalogue_seed(offer_model=Offer, price_model=OfferPrice, market_model=Market)
    contoso = _org("contoso-distribution.example")
    northwind = _org("northwind-it.example")
    if contoso is None or northwind is None:
        return
    placed_by = _admin_user(contoso)
    if placed_by is None:
        return
    _price_rules(placed_by)
    for domain, code, quantity, term, how, days in DEMO_SUBSCRIPTIONS:
        customer = _org(domain)
        offer = Offer.objects.filter(code=code).first()
        currency = order_currency(customer) if customer is not None else None
        if customer is None or currency is None or offer is None:
            continue
        price = OfferPrice.objects.filter(offer=offer, currency=currency).first()
        if price is None:
            continue
        if Subscription.objects.filter(customer=customer, offer=offer).exists():
            continue
        start, end = _dates(how, days, term)
        prices = tier_prices(
            offer=offer,
            currency=currency,
            term=term,
            provider=contoso,
            reseller=northwind,
            customer=customer,
            at=start,
            catalogue=price,
        )
        assert prices is not None
        unit = prices.cost
        subscription = subscription_new(
            offer=offer,
            customer=customer,
            reseller=northwind,
            provider=contoso,
            quantity=quantity,
            term=term,
            billing_frequency="monthly",
            currency=currency,
            unit_price=unit,
            reseller_price=prices.reseller,
            customer_price=prices.customer,
            auto_renew=True,
            purchased_at=start,
            term_end=end,
            created_by=placed_by,
        )
        subscription.save()
        Order.objects.create(
            subscription=subscription,
            offer=offer,
            customer=customer,
            reseller=northwind,
            provider=contoso,
            quantity=quantity,
            term=term,
            billing_frequency="monthly",
            currency=currency,
            unit_price=unit,
            reseller_price=subscription.reseller_price,
            customer_price=subscription.customer_price,
            placed_by=placed_by,
            placed_by_organization=contoso,
            placed_at=start,
        )
        SubscriptionEvent.objects.create(
            subscription=subscription,
            type=SubscriptionEvent.Type.ORDERED,
            actor=placed_by,
            actor_organization=contoso,
            details={"quantity": quantity, "term": term, "offer": code},
            created_at=start,
        )
        billing_totals_add(subscription)
