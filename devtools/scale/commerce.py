"""Scale data for commerce (`manage.py seed_scale`, after relationships' step): one subscription,
a quarter of them two, for every active customer relationship of the scale customers, so the
demo provider Contoso Distribution bills ~200,000 at scale 1.0 and Northwind IT's 1,200
customers have theirs. Rows go in by COPY (`bulk_insert`) with their order; the running billing
totals are then computed in SQL, two grouped INSERTs, never per row.

The catalogue is the one already in the database (commerce's own seed); when there is none, a
small one is made here with a price in every market currency."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import connection
from django.utils import timezone

from commerce.billing import LIVE_STATUSES
from commerce.currency import order_currency_lookup
from commerce.models import (
    CHANGE_WINDOW,
    BillingTotal,
    Offer,
    OfferPrice,
    Order,
    PriceRule,
    Subscription,
)
from commerce.pricing import price_after
from commerce.services import add_months
from portal.models import Market, Membership
from relationships.models import CustomerRelationship

from .run import ScaleRun, bulk_insert, next_ids, suspend_checks

Status = Subscription.Status

# code, name, kind, unit, USD price per unit per month (monthly term)
_FALLBACK_OFFERS = [
    ("scale-business-basic", "Business Basic (scale)", Offer.Kind.SEAT, "user", "6.00"),
    ("scale-business-premium", "Business Premium (scale)", Offer.Kind.SEAT, "user", "22.00"),
    ("scale-enterprise-e3", "Enterprise Suite E3 (scale)", Offer.Kind.SEAT, "user", "36.00"),
    ("scale-mail-plan", "Mail Plan (scale)", Offer.Kind.SEAT, "mailbox", "4.00"),
    ("scale-cloud-storage", "Cloud Storage (scale)", Offer.Kind.USAGE, "100 GB", "2.50"),
    ("scale-api-calls", "API Calls (scale)", Offer.Kind.USAGE, "10,000 calls", "1.20"),
]
# Rough units of a currency per US dollar, so that prices look plausible in each market.
_PER_USD = {"JPY": 150, "KRW": 1300, "INR": 83, "BRL": 5, "MXN": 17, "ZAR": 18, "SEK": 10}
_PER_USD.update({"NOK": 10, "DKK": 7, "CNY": 7, "TWD": 31, "TRY": 30, "PLN": 4})


def seed_commerce(run: ScaleRun) -> None:
    prices = _catalogue(run)
    if not run.customers:
        return
    first, last = run.customers[0].id, run.customers[-1].id
    relationships = list(
        CustomerRelationship.objects.filter(
            status=CustomerRelationship.Status.ACTIVE,
            customer_id__gte=first,
            customer_id__lte=last,
        )
        .order_by("pk")
        .values_list("customer_id", "reseller_id", "provider_id", order_currency_lookup("customer"))
    )
    placers = _provider_admins({provider for _c, _r, provider, _cur in relationships})
    plans: list[tuple[Any, ...]] = []
    for customer_id, reseller_id, provider_id, currency in relationships:
        offers = prices.get(currency or "")
        if not offers or provider_id not in placers:
            continue
        for _ in range(2 if run.rng.random() < 0.25 else 1):
            plans.append((customer_id, reseller_id, provider_id, currency, run.rng.choice(offers)))
    ids = next_ids(Subscription, len(plans))
    subscriptions: list[tuple[Any, ...]] = []
    orders: list[tuple[Any, ...]] = []
    for pk, plan in zip(ids, plans, strict=True):
        customer_id, reseller_id, provider_id, currency, _offer = plan
        row = _subscription(run, pk, *plan)
        subscriptions.append(row)
        orders.append(
            (
                pk,
                row[1],
                customer_id,
                reseller_id,
                provider_id,
                row[_QUANTITY],
                row[_TERM],
                row[_FREQUENCY],
                currency,
                row[_UNIT_PRICE],
                row[_RESELLER_PRICE],
                row[_CUSTOMER_PRICE],
                placers[provider_id],
                provider_id,
                row[_PURCHASED],
            )
        )
    bulk_insert(run, Subscription, SUBSCRIPTION_FIELDS, subscriptions)
    bulk_insert(
        run,
        Order,
        [
            "subscription_id",
            "offer_id",
            "customer_id",
            "reseller_id",
            "provider_id",
            "quantity",
            "term",
            "billing_frequency",
            "currency",
            "unit_price",
            "reseller_price",
            "customer_price",
            "placed_by_id",
            "placed_by_organization_id",
            "placed_at",
        ],
        orders,
    )
    if ids:
        suspend_checks(run, BillingTotal)  # hundreds of thousands of rows: load, then check
        billing_totals_rebuild(first_id=ids[0], last_id=ids[-1])
        run.made[BillingTotal._meta.label] = BillingTotal.objects.count()


SUBSCRIPTION_FIELDS = [
    "id",
    "offer_id",
    "customer_id",
    "reseller_id",
    "provider_id",
    "status",
    "quantity",
    "term",
    "billing_frequency",
    "currency",
    "unit_price",
    "reseller_price",
    "customer_price",
    "monthly_cost",
    "auto_renew",
    "purchased_at",
    "term_start",
    "term_end",
    "change_window_ends_at",
    "next_action_at",
    "created_by_id",
    "ended_at",
]
_QUANTITY = SUBSCRIPTION_FIELDS.index("quantity")
_TERM = SUBSCRIPTION_FIELDS.index("term")
_FREQUENCY = SUBSCRIPTION_FIELDS.index("billing_frequency")
_UNIT_PRICE = SUBSCRIPTION_FIELDS.index("unit_price")
_RESELLER_PRICE = SUBSCRIPTION_FIELDS.index("reseller_price")
_CUSTOMER_PRICE = SUBSCRIPTION_FIELDS.index("customer_price")
_PURCHASED = SUBSCRIPTION_FIELDS.index("purchased_at")


# The scale data's margins: every provider sells at 10% over its cost, every reseller at 20%
# over what it pays (as price lists with one default rule each would; no rows are written for
# them and no query is made per subscription: `price_after` of a rule built in memory).
SCALE_RESELLER_RULE = PriceRule(kind=PriceRule.Kind.MARKUP, markup_percent=Decimal("10"))
SCALE_CUSTOMER_RULE = PriceRule(kind=PriceRule.Kind.MARKUP, markup_percent=Decimal("20"))


@lru_cache(maxsize=4096)
def _scale_tiers(cost: Decimal) -> tuple[Decimal, Decimal]:
    reseller = price_after(cost, SCALE_RESELLER_RULE)
    return reseller, price_after(reseller, SCALE_CUSTOMER_RULE)


def _subscription(
    run: ScaleRun,
    pk: int,
    customer_id: int,
    reseller_id: int,
    provider_id: int,
    currency: str,
    offer: tuple[int, Decimal, Decimal, str],
) -> tuple[Any, ...]:
    offer_id, monthly_price, annual_price, kind = offer
    rng = run.rng
    annual = rng.random() < 0.7
    term = "annual" if annual else "monthly"
    frequency = "annual" if annual and rng.random() < 0.4 else "monthly"
    unit_price = annual_price if annual else monthly_price
    reseller_price, customer_price = _scale_tiers(unit_price)
    if kind == Offer.Kind.SEAT:
        quantity = max(1, min(2000, int(rng.paretovariate(1.2) * 3)))
    else:
        quantity = rng.randint(1, 50)
    purchased = run.ago(720, 0.1)
    # The current term: the purchase, or its last renewal before now. Terms are whole calendar
    # months from the purchase day in the portal's time zone (commerce's `term_end_after`), so
    # the months invoicing's step bills are the ones its daily sweep counts from `term_start`.
    months = 12 if annual else 1
    local, now = timezone.localtime(purchased), timezone.localtime(run.now)
    renewals = ((now.year - local.year) * 12 + now.month - local.month) // months
    while renewals > 0 and add_months(local, renewals * months) > now:
        renewals -= 1
    term_start = add_months(local, renewals * months)
    draw = rng.random()
    status = (
        Status.ACTIVE
        if draw < 0.84
        else Status.SUSPENDED
        if draw < 0.88
        else Status.CANCELLED
        if draw < 0.95
        else Status.EXPIRED
    )
    ended = None
    if status == Status.CANCELLED:
        ended = term_start + timedelta(days=rng.uniform(0, 6.9))
    elif status == Status.EXPIRED:
        ended = term_start
        term_start = add_months(local, (renewals - 1) * months)
    term_end = add_months(term_start, months)
    live = status in LIVE_STATUSES
    return (
        pk,
        offer_id,
        customer_id,
        reseller_id,
        provider_id,
        status,
        quantity,
        term,
        frequency,
        currency,
        unit_price,
        reseller_price,
        customer_price,
        unit_price * quantity,
        live and rng.random() < 0.8,
        purchased,
        term_start,
        term_end,
        term_start + CHANGE_WINDOW,
        term_end if live else None,
        None,
        ended,
    )


def _provider_admins(provider_ids: set[int]) -> dict[int, int]:
    """A Global admin of each provider: who placed its orders."""
    found: dict[int, int] = {}
    for organization_id, user_id in (
        Membership.objects.filter(organization_id__in=provider_ids, global_admin=True)
        .order_by("pk")
        .values_list("organization_id", "user_id")
    ):
        found.setdefault(organization_id, user_id)
    return found


def _catalogue(run: ScaleRun) -> dict[str, list[tuple[int, Decimal, Decimal, str]]]:
    """currency -> the offers on sale with a price in it: (offer id, monthly-term price,
    annual-term price, kind). Makes the small fallback catalogue when there is no offer."""
    if not Offer.objects.exists():
        currencies = sorted(set(Market.objects.values_list("currency", flat=True)))
        offer_ids = next_ids(Offer, len(_FALLBACK_OFFERS))
        bulk_insert(
            run,
            Offer,
            ["id", "code", "name", "description", "kind", "unit", "is_active"],
            (
                (pk, code, name, "", kind, unit, True)
                for pk, (code, name, kind, unit, _usd) in zip(
                    offer_ids, _FALLBACK_OFFERS, strict=True
                )
            ),
        )
        rows = []
        for pk, (_code, _name, _kind, _unit, usd) in zip(offer_ids, _FALLBACK_OFFERS, strict=True):
            for currency in currencies:
                monthly = (Decimal(usd) * _PER_USD.get(currency, 1)).quantize(Decimal("0.01"))
                annual = (monthly * Decimal("0.85")).quantize(Decimal("0.01"))
                rows.append((pk, currency, monthly, annual))
        bulk_insert(
            run,
            OfferPrice,
            ["offer_id", "currency", "monthly_term_price", "annual_term_price"],
            rows,
        )
    prices: dict[str, list[tuple[int, Decimal, Decimal, str]]] = {}
    for offer_id, currency, monthly, annual, kind in (
        OfferPrice.objects.filter(offer__is_active=True)
        .order_by("offer_id", "currency")
        .values_list(
            "offer_id", "currency", "monthly_term_price", "annual_term_price", "offer__kind"
        )
    ):
        prices.setdefault(currency, []).append((offer_id, monthly, annual, kind))
    return prices


_TOTALS_SQL = """
INSERT INTO {totals} (organization_id, customer_id, currency, subscriptions, monthly_cost)
SELECT holder, {customer}, currency, COUNT(*), ROUND(SUM(monthly_cost), 2) FROM (
    SELECT provider_id AS holder, customer_id, currency, unit_price * quantity AS monthly_cost
        FROM {subscriptions}
        WHERE id BETWEEN %(first)s AND %(last)s AND status IN {live}
    UNION ALL
    SELECT reseller_id, customer_id, currency, reseller_price * quantity FROM {subscriptions}
        WHERE id BETWEEN %(first)s AND %(last)s AND status IN {live}
    UNION ALL
    SELECT customer_id, customer_id, currency, customer_price * quantity FROM {subscriptions}
        WHERE id BETWEEN %(first)s AND %(last)s AND status IN {live}
) AS held
GROUP BY holder, {group}
ON CONFLICT ({conflict}) WHERE {condition} DO UPDATE SET
    subscriptions = {totals}.subscriptions + EXCLUDED.subscriptions,
    monthly_cost = ROUND({totals}.monthly_cost + EXCLUDED.monthly_cost, 2)
"""


def billing_totals_rebuild(*, first_id: int, last_id: int) -> None:
    """Add the subscriptions with ids in [first_id, last_id] to the running totals, as
    `billing_totals_apply` would have one by one: for the provider (at the cost), the reseller
    (at the reseller price) and the customer (at the customer price), overall and per customer;
    live subscriptions only. Sums are rounded to the cent in SQL, as `billing_totals_apply`
    rounds (SQLite adds decimals as floats)."""
    quote = connection.ops.quote_name
    names = {
        "totals": quote(BillingTotal._meta.db_table),
        "subscriptions": quote(Subscription._meta.db_table),
    }
    params = {"first": first_id, "last": last_id}
    # The statuses are the model's constants, not input.
    live = "(" + ", ".join(f"'{status}'" for status in sorted(LIVE_STATUSES)) + ")"
    with connection.cursor() as cursor:
        for customer, group, conflict, condition in (
            ("NULL", "currency", "organization_id, currency", "customer_id IS NULL"),
            (
                "customer_id",
                "customer_id, currency",
                "organization_id, customer_id, currency",
                "customer_id IS NOT NULL",
            ),
        ):
            # Table and column names are the models' own, quoted; values are parameters.
            sql = _TOTALS_SQL.format(
                customer=customer,
                group=group,
                conflict=conflict,
                condition=condition,
                live=live,
                **names,
            )
            cursor.execute(sql, params)
