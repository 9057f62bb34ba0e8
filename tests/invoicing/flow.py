"""Issue 25's acceptance world, built only through the services a person's clicks and the beat
call (no invoice or charge factories): Contoso (provider) sells to Northwind (reseller) at +12%
over the catalogue, Northwind to Adatum (customer) at +20%, both set on their price lists
(`price_rule_create`) in May 2026. Northwind orders 7 seats for Adatum on June 1, lowers them to
6 on June 4 (inside the 7-day window: a prorated credit), raises them to 9 on June 10 (day 10 of
30: 21 days charged); the June close (`period_close`) issues the invoices.

Unit prices per month: catalogue 10.00, Northwind's (Contoso's price to it) 11.20, Adatum's
(Northwind's price to it) 13.44. Every amount below is distinct between the tiers, so a page
showing one names the tier it came from:

| line                 | Contoso -> Northwind (11.20)  | Northwind -> Adatum (13.44)       |
|----------------------|-------------------------------|-----------------------------------|
| June 1, buy 7        | 78.40                         | 94.08                             |
| June 4, 7 -> 6       | -1 x 11.20 x 27/30 = -10.08   | -1 x 13.44 x 27/30 = -12.096: -12.10 |
| June 10, 6 -> 9      | 3 x 11.20 x 21/30 = 23.52     | 3 x 13.44 x 21/30 = 28.224: 28.22 |
| invoice total        | 91.84                         | 110.20                            |
| a month at 9 seats   | 100.80                        | 120.96                            |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import time_machine

from commerce.models import Offer, Subscription
from commerce.services import order_place, subscription_quantity_change
from commerce.services_prices import price_rule_create
from invoicing.models import Invoice
from invoicing.services import period_close
from portal.models import Membership, Organization
from tests.commerce.billing_factories import offer
from tests.factories import acting, member, profile_for
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
    reseller_org,
)

JUNE = date(2026, 6, 1)
COST, NORTHWIND_PRICE, ADATUM_PRICE = Decimal("10.00"), Decimal("11.20"), Decimal("13.44")

# What each party's pages may show of the other tier, as amounts in the page's two formats.
CONTOSO_AMOUNTS = ["11.20", "78.40", "10.08", "23.52", "91.84", "100.80"]  # Contoso -> Northwind
ADATUM_AMOUNTS = ["13.44", "94.08", "12.10", "28.22", "110.20", "120.96"]  # Northwind -> Adatum


def both_formats(amounts: list[str]) -> list[str]:
    """`11.20` as English writes it and `11,20` as Italian does."""
    return amounts + [a.replace(".", ",") for a in amounts]


def at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@dataclass
class Flow:
    contoso: Organization
    northwind: Organization
    adatum: Organization
    admins: dict[str, Membership]  # "contoso", "northwind", "adatum": a Global admin of each
    offer: Offer
    subscription: Subscription
    from_contoso: Invoice  # Contoso -> Northwind, June 2026
    to_adatum: Invoice  # Northwind -> Adatum, June 2026


def june_closed() -> Flow:
    contoso = provider_org(legal_name="Contoso Distribution")
    northwind = reseller_org(legal_name="Northwind Traders")
    adatum = CustomerRelationshipFactory(
        relationship=ProviderRelationshipFactory(provider=contoso, reseller=northwind),
        customer=customer_org(legal_name="Adatum Corporation"),
    ).customer
    for org in (contoso, northwind, adatum):
        profile_for(org)
    admins = {"contoso": member(contoso), "northwind": member(northwind), "adatum": member(adatum)}
    seats = offer("Acceptance Seats", prices={"EUR": str(COST), "USD": "12.00"})
    with time_machine.travel(at(2026, 5, 20), tick=False):
        price_rule_create(
            **acting(admins["contoso"]),
            offer_id=seats.pk,
            currency="EUR",
            buyer_id=northwind.pk,
            kind="markup",
            markup_percent=Decimal("12"),
            fixed_price=None,
            effective_from=date(2026, 5, 20),
        )
        price_rule_create(
            **acting(admins["northwind"]),
            offer_id=seats.pk,
            currency="EUR",
            buyer_id=adatum.pk,
            kind="markup",
            markup_percent=Decimal("20"),
            fixed_price=None,
            effective_from=date(2026, 5, 20),
        )
    with time_machine.travel(at(2026, 6, 1), tick=False):
        subscription = order_place(
            **acting(admins["northwind"]),
            customer_id=adatum.pk,
            offer_id=seats.pk,
            quantity=7,
            term="monthly",
            billing_frequency="monthly",
            provider_id=contoso.pk,
        )
    for day, quantity in ((4, 6), (10, 9)):
        with time_machine.travel(at(2026, 6, day, 15), tick=False):
            subscription_quantity_change(
                **acting(admins["northwind"]), subscription_id=subscription.pk, quantity=quantity
            )
    with time_machine.travel(at(2026, 7, 1, 2), tick=False):
        assert period_close(JUNE) == 2
    subscription.refresh_from_db()
    return Flow(
        contoso=contoso,
        northwind=northwind,
        adatum=adatum,
        admins=admins,
        offer=seats,
        subscription=subscription,
        from_contoso=Invoice.objects.get(seller=contoso, buyer=northwind, period=JUNE),
        to_adatum=Invoice.objects.get(seller=northwind, buyer=adatum, period=JUNE),
    )
