"""Scale data for invoicing (`manage.py seed_scale`, after commerce's step): the last 12 months
of charge lines of every scale subscription at both tiers, and daily usage of the usage-based
ones, loaded by COPY (`bulk_insert`) a chunk of subscriptions at a time, so memory stays flat.

Seat-based subscriptions get the lines the services would have written: the purchase, each
renewal, each month of a monthly-billed annual term, and a prorated credit when cancelled.
Usage-based subscriptions get a daily `UsageRecord` and its two USAGE lines, from the first day
of the previous month to yesterday only (about 36 days): 12 months of daily usage would be ~29
million records and ~58 million lines at scale 1.0, which the benchmark does not need to show
a month's close. Nothing is invoiced: `manage.py close_period` closes the previous month."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from commerce.models import Offer, Subscription
from invoicing.models import BillingPeriod, Charge, Tier, UsageRecord
from invoicing.services import add_months_date, cents, month_start, previous_period

from .run import ScaleRun, bulk_insert, next_ids

CHUNK = 20_000
CHARGE_FIELDS = [
    "subscription_id",
    "offer_id",
    "tier",
    "seller_id",
    "buyer_id",
    "customer_id",
    "kind",
    "currency",
    "quantity",
    "unit_price",
    "amount",
    "service_start",
    "service_end",
    "charge_date",
    "source",
    "created_at",
]
_COLUMNS = [
    "pk",
    "offer_id",
    "offer__kind",
    "customer_id",
    "reseller_id",
    "provider_id",
    "status",
    "quantity",
    "term",
    "billing_frequency",
    "currency",
    "reseller_price",
    "customer_price",
    "purchased_at",
    "ended_at",
]


def seed_invoicing(run: ScaleRun) -> None:
    today = timezone.localdate(run.now)
    since = today - timedelta(days=365)
    usage_since = previous_period(run.now)
    first = Subscription.objects.filter(customer_id__in=[c.id for c in run.customers[:1]])
    if not run.customers or (not first.exists() and not Subscription.objects.exists()):
        return
    low, high = run.customers[0].id, run.customers[-1].id
    scale_subscriptions = Subscription.objects.filter(
        customer_id__gte=low, customer_id__lte=high
    ).order_by("pk")
    last = 0
    created = run.now
    while True:
        chunk = list(scale_subscriptions.filter(pk__gt=last).values_list(*_COLUMNS)[:CHUNK])
        if not chunk:
            break
        last = chunk[-1][0]
        seats = [row for row in chunk if row[2] == Offer.Kind.SEAT]
        usage = [row for row in chunk if row[2] == Offer.Kind.USAGE]
        bulk_insert(
            run,
            Charge,
            CHARGE_FIELDS,
            (
                line
                for row in seats
                for line in _seat_lines(row, since=since, today=today, created=created)
            ),
        )
        days = [(row, day) for row in usage for day in _usage_days(row, usage_since, today)]
        ids = next_ids(UsageRecord, len(days))
        quantities = [Decimal(run.rng.randint(0, 400)) / 4 for _ in days]
        bulk_insert(
            run,
            UsageRecord,
            ["id", "subscription_id", "usage_date", "quantity", "imported_at"],
            (
                (pk, row[0], day, quantity, created)
                for pk, (row, day), quantity in zip(ids, days, quantities, strict=True)
            ),
        )
        bulk_insert(
            run,
            Charge,
            CHARGE_FIELDS,
            (
                line
                for pk, (row, day), quantity in zip(ids, days, quantities, strict=True)
                for line in _lines(
                    row, "usage", quantity, 1, Decimal(1), day, day, day, f"usage:{pk}", created
                )
            ),
        )
    # seed_demo (run first) closed the previous month before these lines existed: reopened, so
    # `close_period` closes it at scale (the demo's invoices stay, never issued twice).
    BillingPeriod.objects.filter(period=usage_since).update(
        status=BillingPeriod.Status.CLOSING, closed_at=None
    )


def _lines(
    row: tuple[Any, ...],
    kind: str,
    quantity: Decimal,
    months: int,
    fraction: Decimal,
    start: date,
    end: date,
    charged: date,
    source: str,
    created: Any,
) -> Iterator[tuple[Any, ...]]:
    pk, offer_id, _kind, customer, reseller, provider = row[:6]
    currency, reseller_price, customer_price = row[10], row[11], row[12]
    tiers = [(Tier.RESELLER, reseller, customer, customer_price)]
    if provider != reseller:
        tiers.insert(0, (Tier.PROVIDER, provider, reseller, reseller_price))
    for tier, seller, buyer, monthly in tiers:
        unit = monthly * months
        yield (
            pk,
            offer_id,
            tier,
            seller,
            buyer,
            customer,
            kind,
            currency,
            quantity,
            cents(unit),
            cents(quantity * unit * fraction),
            start,
            end,
            charged,
            source,
            created,
        )


def _seat_lines(
    row: tuple[Any, ...], *, since: date, today: date, created: Any
) -> Iterator[tuple[Any, ...]]:
    pk = row[0]
    status, quantity, term, frequency = row[6], Decimal(row[7]), row[8], row[9]
    purchased = timezone.localtime(row[13]).date()
    ended = timezone.localtime(row[14]).date() if row[14] else None
    term_months = 12 if term == "annual" else 1
    step = term_months if frequency == "annual" else 1
    k = 0
    while True:
        start = add_months_date(purchased, k)
        if start > today or (ended is not None and start >= ended):
            break
        end = add_months_date(purchased, k + step)
        if start >= since:
            kind = "purchase" if k == 0 else "renewal" if k % term_months == 0 else "recurring"
            yield from _lines(
                row,
                kind,
                quantity,
                step,
                Decimal(1),
                start,
                end - timedelta(days=1),
                start,
                f"scale:{pk}:{k}",
                created,
            )
        if (
            status == Subscription.Status.CANCELLED
            and ended is not None
            and start <= ended < end
            and ended >= since
        ):
            left = Decimal((end - ended).days) / Decimal((end - start).days)
            yield from _lines(
                row,
                "cancellation",
                -quantity,
                step,
                left,
                ended,
                end - timedelta(days=1),
                ended,
                f"scale:{pk}:cancel",
                created,
            )
        k += step


def _usage_days(row: tuple[Any, ...], since: date, today: date) -> list[date]:
    purchased = timezone.localtime(row[13]).date()
    ended = timezone.localtime(row[14]).date() if row[14] else today
    day = max(purchased, month_start(since))
    last = min(ended, today - timedelta(days=1))
    days = []
    while day <= last:
        days.append(day)
        day += timedelta(days=1)
    return days
