"""The seeded catalogue: a dozen plausible offers (not real product names), each with a price in
every currency of the Market table. Prices derive from a base USD price with a fixed factor per
currency, rounded to the currency's usual precision. The operator edits the result in the admin;
`catalogue_seed` only adds what is missing (the data migration and `seed_demo` call it)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# (code, name, kind, unit, min, max, USD per unit per month on a monthly term, description)
OFFERS: list[tuple[str, str, str, str, int, int, str, str]] = [
    (
        "team-workspace-basic",
        "Team Workspace Basic",
        "seat",
        "user",
        1,
        300,
        "6.00",
        "Mail, calendar, chat and 1 TB of file storage per user.",
    ),
    (
        "team-workspace-standard",
        "Team Workspace Standard",
        "seat",
        "user",
        1,
        300,
        "12.50",
        "Team Workspace Basic plus desktop apps, webinars and shared mailboxes.",
    ),
    (
        "team-workspace-premium",
        "Team Workspace Premium",
        "seat",
        "user",
        1,
        300,
        "22.00",
        "Team Workspace Standard plus device management and advanced threat protection.",
    ),
    (
        "secure-mail-plus",
        "Secure Mail Plus",
        "seat",
        "mailbox",
        1,
        10000,
        "4.00",
        "Hosted mailboxes with 100 GB each, archiving and spam filtering.",
    ),
    (
        "endpoint-guard",
        "Endpoint Guard",
        "seat",
        "device",
        5,
        10000,
        "5.50",
        "Antivirus, endpoint detection and response for laptops, desktops and servers.",
    ),
    (
        "identity-shield",
        "Identity Shield",
        "seat",
        "user",
        1,
        10000,
        "6.00",
        "Single sign-on, multifactor sign-in and conditional access.",
    ),
    (
        "meeting-rooms-pro",
        "Meeting Rooms Pro",
        "seat",
        "room",
        1,
        500,
        "15.00",
        "Video meeting rooms with booking, casting and room displays.",
    ),
    (
        "analytics-studio",
        "Analytics Studio",
        "seat",
        "user",
        1,
        10000,
        "10.00",
        "Self-service dashboards and reports shared across the organization.",
    ),
    (
        "cloud-compute-credits",
        "Cloud Compute Credits (per 100 vCPU hours)",
        "usage",
        "100 vCPU hours",
        1,
        10000,
        "4.80",
        "Virtual machines billed by the vCPU hour.",
    ),
    (
        "object-storage",
        "Object Storage (per 100 GB)",
        "usage",
        "100 GB",
        1,
        10000,
        "2.30",
        "Durable object storage with versioning, billed per 100 GB a month.",
    ),
    (
        "managed-database-hours",
        "Managed Database (per 100 instance hours)",
        "usage",
        "100 instance hours",
        1,
        10000,
        "9.00",
        "Managed relational databases with backups.",
    ),
    (
        "api-gateway-calls",
        "API Gateway Calls (per million)",
        "usage",
        "1 million calls",
        1,
        10000,
        "3.50",
        "Managed API gateway with throttling and keys, per million calls.",
    ),
]

# Units of each currency per US dollar (a fixed catalogue rate, not a market rate).
CURRENCY_FACTORS: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "CHF": Decimal("0.88"),
    "CAD": Decimal("1.36"),
    "AUD": Decimal("1.52"),
    "NZD": Decimal("1.65"),
    "BRL": Decimal("5.00"),
    "DKK": Decimal("6.90"),
    "NOK": Decimal("10.70"),
    "SEK": Decimal("10.50"),
    "CNY": Decimal("7.20"),
    "INR": Decimal("83"),
    "JPY": Decimal("150"),
    "KRW": Decimal("1350"),
    "TWD": Decimal("32"),
}
# Currencies written without decimals, and to what their prices are rounded.
WHOLE_UNITS: dict[str, Decimal] = {
    "JPY": Decimal("10"),
    "KRW": Decimal("100"),
    "INR": Decimal("1"),
    "TWD": Decimal("1"),
}
# An annual term costs this much of the monthly term's price per month.
ANNUAL_DISCOUNT = Decimal("0.90")


def price_in(usd: Decimal, currency: str) -> Decimal:
    """`usd` in `currency` by the catalogue's factor: to the cent, or to whole (tens, hundreds)
    units in the currencies written without decimals."""
    amount = usd * CURRENCY_FACTORS[currency]
    step = WHOLE_UNITS.get(currency)
    if step is None:
        return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return ((amount / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * step).quantize(
        Decimal("0.01")
    )


def catalogue_seed(*, offer_model: Any, price_model: Any, market_model: Any) -> int:
    """Add the seeded offers and any missing price (one per currency of the Market table that
    has a factor); returns how many prices were added. Models are passed in so that the data
    migration can use its historical ones."""
    currencies = sorted(
        set(market_model.objects.values_list("currency", flat=True)) & set(CURRENCY_FACTORS)
    )
    added = 0
    for code, name, kind, unit, low, high, usd, description in OFFERS:
        offer, _created = offer_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "unit": unit,
                "min_quantity": low,
                "max_quantity": high,
                "description": description,
            },
        )
        have = set(price_model.objects.filter(offer=offer).values_list("currency", flat=True))
        base = Decimal(usd)
        for currency in currencies:
            if currency in have:
                continue
            price_model.objects.create(
                offer=offer,
                currency=currency,
                monthly_term_price=price_in(base, currency),
                annual_term_price=price_in(base * ANNUAL_DISCOUNT, currency),
            )
            added += 1
    return added
