"""Scale data for invoicing (`manage.py seed_scale`, after commerce's step): the last 12 months
of charge lines of every scale subscription at both tiers, and daily usage of the usage-based
ones.

Seat-based subscriptions get the lines the services would have written: the purchase, each
renewal, each month of a monthly-billed annual term, and a prorated credit when cancelled.
Usage-based subscriptions get a daily `UsageRecord` and its two USAGE lines, from the first day
of the previous month to yesterday only (about 36 days): 12 months of daily usage would be ~29
million records and ~58 million lines at scale 1.0, which the benchmark does not need to show
a month's close. Nothing is invoiced: `manage.py close_period` closes the previous month.

On PostgreSQL the rows are made set-based inside the database (`_SEAT_SQL`, `_USAGE_SQL`,
`_USAGE_LINES_SQL`: INSERT ... SELECT over the subscriptions joined with generate_series of
their billing periods or days), with the table's foreign keys, secondary indexes and its
(source, tier) unique constraint taken off for the load and put back once at the end
(`suspend_checks`/`restore_checks`); amounts are rounded with ROUND(x, 2), half away from
zero on numeric as the services' ROUND_HALF_UP. Elsewhere (SQLite at small scales) the same
rows are built in Python and inserted a chunk of subscriptions at a time. Both are
deterministic for a run's seed; sources are `scale:<subscription>:<month>` (purchases and
renewals), the daily sweep's own `recurring_source` for the months of a monthly-billed annual
term (so the sweep, run on this data, bills none of them again), `scale:<subscription>:cancel`
and `usage:<record>`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from commerce.models import Offer, Subscription
from invoicing.models import BillingPeriod, Charge, Tier, UsageRecord
from invoicing.services import (
    RECURRING_SOURCE,
    add_months_date,
    cents,
    month_start,
    previous_period,
    recurring_source,
)

from .run import ScaleRun, bulk_insert, next_ids, suspend_checks, suspend_unique

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
    usage_since = previous_period(run.now)
    first = Subscription.objects.filter(customer_id__in=[c.id for c in run.customers[:1]])
    if not run.customers or (not first.exists() and not Subscription.objects.exists()):
        return
    low, high = run.customers[0].id, run.customers[-1].id
    if connection.vendor == "postgresql":
        _seed_in_database(run, low=low, high=high, today=today, usage_since=usage_since)
    else:
        _seed_in_python(run, low=low, high=high, today=today, usage_since=usage_since)
    # seed_demo (run first) closed the previous month before these lines existed: reopened, so
    # `close_period` closes it at scale (the demo's invoices stay, never issued twice).
    BillingPeriod.objects.filter(period=usage_since).update(
        status=BillingPeriod.Status.CLOSING, closed_at=None
    )


# The subscriptions of the scale customers, with their dates in the portal's time zone (as
# `timezone.localtime(...).date()`), the months of a term and of a billing period.
_SUBSCRIPTIONS = """
SELECT s.id, s.offer_id, s.customer_id, s.reseller_id, s.provider_id, s.status, s.currency,
    s.quantity::numeric AS quantity, s.reseller_price, s.customer_price,
    (s.purchased_at AT TIME ZONE %(tz)s)::date AS purchased,
    (s.ended_at AT TIME ZONE %(tz)s)::date AS ended,
    CASE WHEN s.term = 'annual' THEN 12 ELSE 1 END AS term_months,
    CASE WHEN s.term = 'annual' AND s.billing_frequency = 'annual' THEN 12 ELSE 1 END AS step
FROM {subscription} s JOIN {offer} o ON o.id = s.offer_id
WHERE s.customer_id BETWEEN %(low)s AND %(high)s AND o.kind = %(kind)s
"""

# Each tier billing a subscription: the provider bills the reseller (unless it is the
# reseller), the reseller bills the customer.
_TIERS = """
CROSS JOIN LATERAL (VALUES
    ('provider', s.provider_id, s.reseller_id, s.reseller_price),
    ('reseller', s.reseller_id, s.customer_id, s.customer_price)
) AS t(tier, seller_id, buyer_id, monthly)
"""
_TIER_FILTER = "(t.tier = 'reseller' OR s.provider_id <> s.reseller_id)"

_CHARGE_COLUMNS = (
    "subscription_id, offer_id, tier, seller_id, buyer_id, customer_id, kind, currency, "
    "quantity, unit_price, amount, service_start, service_end, charge_date, source, created_at"
)

# Every billing period k (months from the purchase, a step apart) that began by today and before
# the subscription ended: its line if it began in the last 12 months (purchase, renewal at each
# term, else a month of a monthly-billed term, named as the daily sweep names it), and the
# prorated credit of a cancellation inside it (`units x period unit price x days_left /
# days_in_period`, rounded once). A period's months count from its term's start (the purchase
# plus whole terms), as the sweep counts them from `term_start`: the two differ from months
# counted from the purchase after a short month (a term from 29 February, a month from the 31st).
_SEAT_SQL = """
WITH s AS ({subscriptions}),
p AS (
    SELECT s.*, k,
        (s.purchased + make_interval(months => k - k %% s.term_months)
            + make_interval(months => k %% s.term_months))::date AS start,
        (s.purchased + make_interval(months => k - k %% s.term_months)
            + make_interval(months => k %% s.term_months + s.step))::date AS stop
    FROM s, generate_series(
        0,
        (EXTRACT(YEAR FROM %(today)s::date) - EXTRACT(YEAR FROM s.purchased))::int * 12
            + (EXTRACT(MONTH FROM %(today)s::date) - EXTRACT(MONTH FROM s.purchased))::int,
        s.step
    ) AS k
),
live AS (
    SELECT * FROM p WHERE start <= %(today)s AND (ended IS NULL OR start < ended)
),
line AS (
    SELECT live.*,
        CASE WHEN k = 0 THEN 'purchase' WHEN k %% term_months = 0 THEN 'renewal'
            ELSE 'recurring' END AS kind,
        quantity AS units, start AS service_start, 1::numeric AS days, 1::numeric AS of_days,
        start AS charge_date,
        CASE WHEN k %% term_months = 0 THEN 'scale:' || id || ':' || k
            ELSE format(%(recurring)s, id, to_char(start, 'YYYY-MM-DD')) END AS source
    FROM live WHERE start >= %(since)s
    UNION ALL
    SELECT live.*, 'cancellation', -quantity, ended, (stop - ended)::numeric,
        (stop - start)::numeric, ended, 'scale:' || id || ':cancel'
    FROM live
    WHERE status = 'cancelled' AND ended IS NOT NULL AND start <= ended AND ended < stop
        AND ended >= %(since)s
)
INSERT INTO {charge} ({columns})
SELECT s.id, s.offer_id, t.tier, t.seller_id, t.buyer_id, s.customer_id, s.kind, s.currency,
    s.units, ROUND(t.monthly * s.step, 2),
    ROUND(s.units * (t.monthly * s.step) * s.days / s.of_days, 2),
    s.service_start, s.stop - 1, s.charge_date, s.source, %(now)s
FROM line s {tiers} WHERE {tier_filter}
"""

# A record per day from the first day of the previous month (or the purchase) to yesterday (or
# the end), its quantity 0-100 in quarters, drawn from a hash of the subscription, the day and
# the run's salt (the same for the same seed).
_USAGE_SQL = """
WITH s AS ({subscriptions})
INSERT INTO {usage} (subscription_id, usage_date, quantity, imported_at)
SELECT s.id, d::date,
    (abs(hashtextextended(s.id || ':' || d::date, %(salt)s)) %% 401) / 4.0, %(now)s
FROM s, generate_series(
    GREATEST(s.purchased, %(usage_since)s::date),
    LEAST(COALESCE(s.ended, %(today)s::date), %(today)s::date - 1),
    interval '1 day'
) AS d
ORDER BY s.id, d
"""

# Each new record's line at each tier: `quantity x tier price`, on the usage day.
_USAGE_LINES_SQL = """
INSERT INTO {charge} ({columns})
SELECT s.id, s.offer_id, t.tier, t.seller_id, t.buyer_id, s.customer_id, 'usage', s.currency,
    u.quantity, ROUND(t.monthly, 2), ROUND(u.quantity * t.monthly, 2),
    u.usage_date, u.usage_date, u.usage_date, 'usage:' || u.id, %(now)s
FROM {usage} u JOIN {subscription} s ON s.id = u.subscription_id {tiers}
WHERE u.id > %(after)s AND {tier_filter}
"""


def _seed_in_database(
    run: ScaleRun, *, low: int, high: int, today: date, usage_since: date
) -> None:
    quote = connection.ops.quote_name
    names = {
        "charge": quote(Charge._meta.db_table),
        "usage": quote(UsageRecord._meta.db_table),
        "subscription": quote(Subscription._meta.db_table),
        "offer": quote(Offer._meta.db_table),
        "columns": _CHARGE_COLUMNS,
        "tiers": _TIERS,
        "tier_filter": _TIER_FILTER,
    }
    params: dict[str, Any] = {
        "tz": str(timezone.get_current_timezone()),
        "low": low,
        "high": high,
        "today": today,
        "since": today - timedelta(days=365),
        "usage_since": month_start(usage_since),
        "now": run.now,
        "salt": run.rng.randrange(2**31),
        # The sweep's source of a month (`recurring_source`) as a format() template.
        "recurring": RECURRING_SOURCE.format(subscription="%s", first="%s"),
    }
    suspend_checks(run, Charge)
    suspend_checks(run, UsageRecord)
    suspend_unique(run, Charge, "charge_once_per_source")
    after = UsageRecord.objects.aggregate(top=Max("pk"))["top"] or 0
    with connection.cursor() as cursor:
        # Table names are the models' own, quoted; values are parameters.
        for sql, model, kind in (
            (_SEAT_SQL, Charge, Offer.Kind.SEAT),
            (_USAGE_SQL, UsageRecord, Offer.Kind.USAGE),
            (_USAGE_LINES_SQL, Charge, Offer.Kind.USAGE),
        ):
            subscriptions = _SUBSCRIPTIONS.format(**names)
            cursor.execute(
                sql.format(subscriptions=subscriptions, **names),
                {**params, "kind": kind, "after": after},
            )
            label = model._meta.label
            run.made[label] = run.made.get(label, 0) + cursor.rowcount


def _seed_in_python(run: ScaleRun, *, low: int, high: int, today: date, usage_since: date) -> None:
    since = today - timedelta(days=365)
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
                    row, "usage", quantity, 1, (1, 1), day, day, day, f"usage:{pk}", created
                )
            ),
        )


def _lines(
    row: tuple[Any, ...],
    kind: str,
    quantity: Decimal,
    months: int,
    fraction: tuple[int, int],  # days charged / days in the period
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
            cents(quantity * unit * fraction[0] / fraction[1]),
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
        term_start = add_months_date(purchased, k - k % term_months)
        start = add_months_date(term_start, k % term_months)
        if start > today or (ended is not None and start >= ended):
            break
        end = add_months_date(term_start, k % term_months + step)
        if start >= since:
            kind = "purchase" if k == 0 else "renewal" if k % term_months == 0 else "recurring"
            source = f"scale:{pk}:{k}" if kind != "recurring" else recurring_source(pk, start)
            yield from _lines(
                row,
                kind,
                quantity,
                step,
                (1, 1),
                start,
                end - timedelta(days=1),
                start,
                source,
                created,
            )
        if (
            status == Subscription.Status.CANCELLED
            and ended is not None
            and start <= ended < end
            and ended >= since
        ):
            yield from _lines(
                row,
                "cancellation",
                -quantity,
                step,
                ((end - ended).days, (end - start).days),
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
