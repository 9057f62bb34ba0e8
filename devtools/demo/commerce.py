"""Demo subscriptions (DOMAIN.md demo data). Idempotent: run it any number of times.

Northwind IT's customers buy through Contoso Distribution in EUR (their market is Italy): one
subscription bought 2 days ago (inside its 7-day change window), one whose monthly term ends in 3
days with auto-renew on (the beat sweep renews it), and older ones whose window has passed. Rows
are written directly (not through the services, so no email goes out), with their order, history
and running billing totals."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from commerce.billing import billing_totals_apply
from commerce.catalogue import catalogue_seed
from commerce.currency import order_currency
from commerce.models import (
    Offer,
    OfferPrice,
    Order,
    Subscription,
    SubscriptionEvent,
)
from commerce.services import add_months, subscription_new, term_end_after, unit_price_of
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
        unit = unit_price_of(price, term)
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
        billing_totals_apply(
            subscription=subscription, cost_delta=subscription.monthly_cost, count_delta=1
        )
