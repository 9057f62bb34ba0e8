"""Invoicing rows for tests, written directly (the services are tested on their own): a
distribution chain (Contoso, the provider, bills Northwind, the reseller, who bills Adatum, the
customer), charges at both tiers and invoices gathering them, with totals kept right."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from django.db.models import Sum
from django.utils import timezone

from commerce.models import Subscription
from invoicing.models import Charge, Invoice, Tier
from portal.models import Organization
from tests.commerce.billing_factories import offer, subscription
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
    reseller_org,
)

_sources = count(1)
_numbers = count(1)


def charge(
    sub: Subscription,
    *,
    tier: str,
    amount: str,
    quantity: str = "1",
    unit_price: str | None = None,
    kind: str = Charge.Kind.RECURRING,
    day: date = date(2026, 10, 1),
    days: int = 30,
    invoice: Invoice | None = None,
) -> Charge:
    seller, buyer = (
        (sub.provider, sub.reseller) if tier == Tier.PROVIDER else (sub.reseller, sub.customer)
    )
    return Charge.objects.create(
        subscription=sub,
        offer=sub.offer,
        tier=tier,
        seller=seller,
        buyer=buyer,
        customer=sub.customer,
        kind=kind,
        currency=sub.currency,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price or amount),
        amount=Decimal(amount),
        service_start=day,
        service_end=day + timedelta(days=days - 1),
        charge_date=day,
        source=f"test:{next(_sources)}",
        invoice=invoice,
    )


def invoice(
    seller: Organization,
    buyer: Organization,
    *,
    tier: str,
    period: date = date(2026, 10, 1),
    currency: str = "EUR",
    language: str = "en",
) -> Invoice:
    """An invoice gathering every uninvoiced charge from `seller` to `buyer` of the period."""
    sequence = next(_numbers)
    made = Invoice.objects.create(
        seller=seller,
        buyer=buyer,
        tier=tier,
        currency=currency,
        period=period,
        year=period.year,
        sequence=sequence,
        number=f"{seller.pk}-{period.year}-{sequence:06d}",
        total=Decimal("0"),
        language=language,
        issued_at=timezone.now(),
    )
    charges = Charge.objects.filter(
        seller=seller,
        buyer=buyer,
        currency=currency,
        invoice__isnull=True,
        charge_date__year=period.year,
        charge_date__month=period.month,
    )
    lines = charges.update(invoice=made)
    made.total = Charge.objects.filter(invoice=made).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    made.lines = lines
    made.save(update_fields=["total", "lines"])
    return made


@dataclass
class Chain:
    contoso: Organization  # the provider
    northwind: Organization  # the reseller
    adatum: Organization  # the customer
    fabrikam: Organization  # another customer of Northwind
    seats: Subscription
    provider_invoice: Invoice  # Contoso -> Northwind
    reseller_invoice: Invoice  # Northwind -> Adatum
    other_invoice: Invoice  # Northwind -> Fabrikam


def chain(*, language: str = "en") -> Chain:
    """Contoso bills Northwind 80.00 + 3 days of usage (3 x 1.50) for Adatum's subscriptions in
    October 2026 and 40.00 for Fabrikam's; Northwind bills Adatum 100.00 + 3 x 2.00 and
    Fabrikam 50.00. A charge of November is unbilled at both tiers."""
    contoso = provider_org(legal_name="Contoso Distribution")
    northwind = reseller_org(legal_name="Northwind Traders")
    pair = ProviderRelationshipFactory(provider=contoso, reseller=northwind)
    adatum = CustomerRelationshipFactory(
        relationship=pair, customer=customer_org(legal_name="Adatum Corporation")
    ).customer
    fabrikam = CustomerRelationshipFactory(
        relationship=pair, customer=customer_org(legal_name="Fabrikam Inc")
    ).customer
    seats_offer = offer("Seats Suite")
    usage_offer = offer("Metered Storage", kind="usage", unit="GB")
    seats = subscription(customer=adatum, reseller=northwind, provider=contoso, offer_=seats_offer)
    storage = subscription(
        customer=adatum, reseller=northwind, provider=contoso, offer_=usage_offer
    )
    fab = subscription(customer=fabrikam, reseller=northwind, provider=contoso, offer_=seats_offer)
    charge(seats, tier=Tier.PROVIDER, amount="80.00", quantity="8", unit_price="10.00")
    charge(seats, tier=Tier.RESELLER, amount="100.00", quantity="8", unit_price="12.50")
    for offset in range(3):
        day = date(2026, 10, 10 + offset)
        charge(storage, tier=Tier.PROVIDER, amount="1.50", kind=Charge.Kind.USAGE, day=day, days=1)
        charge(storage, tier=Tier.RESELLER, amount="2.00", kind=Charge.Kind.USAGE, day=day, days=1)
    charge(fab, tier=Tier.PROVIDER, amount="40.00", quantity="4", unit_price="10.00")
    charge(fab, tier=Tier.RESELLER, amount="50.00", quantity="4", unit_price="12.50")
    # November: not closed yet.
    charge(seats, tier=Tier.PROVIDER, amount="80.00", day=date(2026, 11, 1))
    charge(seats, tier=Tier.RESELLER, amount="100.00", day=date(2026, 11, 1))
    return Chain(
        contoso=contoso,
        northwind=northwind,
        adatum=adatum,
        fabrikam=fabrikam,
        seats=seats,
        provider_invoice=invoice(contoso, northwind, tier=Tier.PROVIDER, language=language),
        reseller_invoice=invoice(northwind, adatum, tier=Tier.RESELLER, language=language),
        other_invoice=invoice(northwind, fabrikam, tier=Tier.RESELLER, language=language),
    )
