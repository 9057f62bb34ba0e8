"""Money per tier: the charge lines every subscription change writes, the monthly lines of
monthly-billed terms, rated usage, and the monthly close that issues invoices.

The rules (issue 25; DOMAIN.md's new-commerce rules):

- Two tiers bill each other for every subscription: the provider bills the reseller at the
  subscription's locked `reseller_price` (tier PROVIDER), the reseller bills the customer at its
  `customer_price` (tier RESELLER). Every rule below writes one line at each tier with the same
  quantities and dates; only the unit price differs. A subscription whose provider is also its
  reseller has no PROVIDER line (nobody bills itself).
- Prices are per unit per month. A billing period is one month from the term start (monthly
  billing) or the whole term (annual billing of an annual term: 12 months); its unit price is
  the monthly price times its months.
- Purchase: the first billing period, charged on the day of purchase. Renewal: the new term's
  first billing period at the prices locked at renewal, charged on the renewal day. Each further
  month of a monthly-billed annual term: a RECURRING line written by the daily sweep
  (`charges_recurring_sweep`) on that month's first day, at the quantity of that day.
- Quantity change and cancellation, prorated to the day: the current billing period has
  `days_in_period` days; the change day counts as a day of the new quantity, so the days charged
  (or credited) are `days_left` = the change day to the period's last day, inclusive. The line is
  `units x period unit price x days_left / days_in_period`, quantized to the cent with
  ROUND_HALF_UP once, on the line's amount (never per unit). An increase is a charge at any
  time; a decrease (only within the 7-day window, commerce's rule) and a cancellation (same
  window) are credits, negative lines, for the unused part by the same formula (new commerce
  refunds a change inside the window prorated, not in full). An increase and a decrease on the
  same day cancel out exactly. Annual billing: the period is the rest of the term.
- Usage-based offers have no seat lines (no purchase, renewal, recurring or quantity lines):
  they are billed only by the provider's daily usage records, one USAGE line per record and tier,
  `quantity x tier price`, charged on the usage day.
- Every line has a `source` naming what caused it (`event:<id>`, `recurring:<sub>:<date>`,
  `usage:<record id>`) unique per tier, so a retried writer adds nothing.

The close (`period_close`): one invoice per seller, buyer and currency for a calendar month, from
every uninvoiced line charged before the month's end (a late line of an earlier, closed month
goes on the next invoice). Invoices are issued in transactions of up to `batch` (500) each:
their numbers (raised from the sellers' `InvoiceSequence` rows, locked), the invoice rows, their
lines attached by one UPDATE, their totals = the sums of those lines and the emails queued. A
crash leaves each invoice whole or absent, and numbers without gaps (the sequences roll back with
the invoices). Invoices of a period are issued under its `BillingPeriod` row lock, so two closes
at once issue each invoice once; the unique (seller, buyer, currency, period) is the last guard.
A closed period is never closed again."""

from __future__ import annotations

import calendar
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce.models import BillingFrequency, Offer, Subscription, SubscriptionEvent, Term
from portal.models import Organization
from portal.selectors import email_language

from .emails import send_invoices_issued
from .models import BillingPeriod, Charge, Invoice, InvoiceSequence, Tier, UsageRecord

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
Kind = Charge.Kind
EventType = SubscriptionEvent.Type
LIVE = (Subscription.Status.ACTIVE, Subscription.Status.SUSPENDED)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def day_of(value: datetime) -> date:
    return timezone.localtime(value).date()


def add_months_date(value: date, months: int) -> date:
    """`value` plus whole months, on the same day (or the month's last day)."""
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    return date(year, month, min(value.day, calendar.monthrange(year, month)[1]))


def month_start(value: date) -> date:
    return value.replace(day=1)


def next_month(value: date) -> date:
    return add_months_date(value.replace(day=1), 1)


# --- billing periods of a subscription ----------------------------------------------------------


def _term_months(subscription: Subscription) -> int:
    return 12 if subscription.term == Term.ANNUAL else 1


def period_months(subscription: Subscription) -> int:
    """Months in one billing period: the whole term when billed annually, else one."""
    if subscription.billing_frequency == BillingFrequency.ANNUAL:
        return _term_months(subscription)
    return 1


def billing_period_of(subscription: Subscription, day: date) -> tuple[date, date]:
    """The billing period of the current term holding `day`: (first day, day after the last)."""
    start = day_of(subscription.term_start)
    months = period_months(subscription)
    k = 0
    while True:
        end = add_months_date(start, (k + 1) * months)
        if day < end or k > 240:
            return add_months_date(start, k * months), end
        k += 1


def _tier_lines(subscription: Subscription) -> list[tuple[str, int, int, Decimal]]:
    """(tier, seller, buyer, unit price per month) of each tier billing this subscription."""
    lines: list[tuple[str, int, int, Decimal]] = []
    if subscription.provider_id != subscription.reseller_id:
        lines.append(
            (
                Tier.PROVIDER,
                subscription.provider_id,
                subscription.reseller_id,
                subscription.reseller_price,
            )
        )
    lines.append(
        (
            Tier.RESELLER,
            subscription.reseller_id,
            subscription.customer_id,
            subscription.customer_price,
        )
    )
    return lines


@dataclass
class Line:
    kind: str
    quantity: Decimal
    months: int  # the unit price is the monthly price times this
    fraction: tuple[int, int]  # days charged / days in the period
    service_start: date
    service_end: date  # inclusive
    charge_date: date
    source: str


def _charges(subscription: Subscription, line: Line) -> list[Charge]:
    days, of_days = line.fraction
    rows = []
    for tier, seller, buyer, monthly in _tier_lines(subscription):
        unit = monthly * line.months
        amount = cents(line.quantity * unit * days / of_days)
        rows.append(
            Charge(
                subscription_id=subscription.pk,
                offer_id=subscription.offer_id,
                tier=tier,
                seller_id=seller,
                buyer_id=buyer,
                customer_id=subscription.customer_id,
                kind=line.kind,
                currency=subscription.currency,
                quantity=line.quantity,
                unit_price=cents(unit),
                amount=amount,
                service_start=line.service_start,
                service_end=line.service_end,
                charge_date=line.charge_date,
                source=line.source,
            )
        )
    return rows


def _write(rows: Iterable[Charge]) -> int:
    """Insert, skipping a (source, tier) already written: retries add nothing (a writer racing
    this one is skipped by the unique constraint). Returns how many were new here."""
    rows = list(rows)
    if not rows:
        return 0
    written = set(
        Charge.objects.filter(source__in={row.source for row in rows}).values_list("source", "tier")
    )
    new = [row for row in rows if (row.source, row.tier) not in written]
    Charge.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _first_period_line(subscription: Subscription, kind: str, source: str) -> Line:
    start = day_of(subscription.term_start)
    months = period_months(subscription)
    end = add_months_date(start, months)
    return Line(
        kind=kind,
        quantity=Decimal(subscription.quantity),
        months=months,
        fraction=(1, 1),
        service_start=start,
        service_end=end - timedelta(days=1),
        charge_date=start,
        source=source,
    )


def _prorated_line(
    subscription: Subscription, kind: str, units: int, today: date, source: str
) -> Line:
    """`units` (negative for a credit) from `today` to the end of the current billing period."""
    start, end = billing_period_of(subscription, today)
    today = max(today, start)
    return Line(
        kind=kind,
        quantity=Decimal(units),
        months=period_months(subscription),
        fraction=(max((end - today).days, 0), (end - start).days),
        service_start=today,
        service_end=end - timedelta(days=1),
        charge_date=today,
        source=source,
    )


def charges_on_subscription_change(subscription: Subscription, event: SubscriptionEvent) -> None:
    """commerce.hooks: the lines of one transition, in its transaction (idempotent by event)."""
    if subscription.offer.kind == Offer.Kind.USAGE:
        return
    source = f"event:{event.pk}"
    today = day_of(event.created_at)
    line: Line | None = None
    if event.type == EventType.ORDERED:
        line = _first_period_line(subscription, Kind.PURCHASE, source)
    elif event.type == EventType.RENEWED:
        line = _first_period_line(subscription, Kind.RENEWAL, source)
    elif event.type == EventType.QUANTITY_CHANGED:
        delta = int(event.details["to"]) - int(event.details["from"])
        kind = Kind.QUANTITY_INCREASE if delta > 0 else Kind.QUANTITY_DECREASE
        line = _prorated_line(subscription, kind, delta, today, source)
    elif event.type == EventType.CANCELLED:
        line = _prorated_line(
            subscription, Kind.CANCELLATION, -subscription.quantity, today, source
        )
    if line is not None:
        _write(_charges(subscription, line))


# --- the monthly lines of monthly-billed annual terms -------------------------------------------

# The source of the RECURRING line of the month of a subscription's term beginning on `first`:
# the sweep's key, so a month is billed once however often it runs. Every writer of these lines
# names them with `recurring_source` (seed_scale's SQL formats this same template).
RECURRING_SOURCE = "recurring:{subscription}:{first}"


def recurring_source(subscription_id: int, first: date) -> str:
    return RECURRING_SOURCE.format(subscription=subscription_id, first=first.isoformat())


def recurring_lines(
    subscription: Subscription, today: date, changes: list[tuple[date, Decimal]] | None = None
) -> Iterator[Line]:
    """The RECURRING lines due by `today` in the current term: one per month after the first,
    from its first day (a missed day is caught up; the sources make it idempotent), at the
    quantity of that first day: today's quantity less the changes charged since (`changes`:
    the subscription's (charge date, units) quantity-change lines), which bill their own part
    of the month."""
    if period_months(subscription) != 1 or _term_months(subscription) == 1:
        return
    start = day_of(subscription.term_start)
    for k in range(1, _term_months(subscription)):
        first = add_months_date(start, k)
        if first > today:
            return
        end = add_months_date(start, k + 1)
        quantity = Decimal(subscription.quantity) - sum(
            (units for day, units in changes or [] if day >= first), Decimal(0)
        )
        yield Line(
            kind=Kind.RECURRING,
            quantity=quantity,
            months=1,
            fraction=(1, 1),
            service_start=first,
            service_end=end - timedelta(days=1),
            charge_date=first,
            source=recurring_source(subscription.pk, first),
        )


def charges_recurring_sweep(
    *, now: datetime | None = None, batch_size: int = 1000, only: Any = None
) -> int:
    """Beat (daily): the monthly lines due today of every live, seat-based, monthly-billed annual
    term, in batches of subscriptions by id. Returns how many lines it wrote. `only`: a
    queryset of subscriptions to limit it to (the demo)."""
    today = timezone.localdate(now or timezone.now())
    written, last = 0, 0
    due = (only if only is not None else Subscription.objects.all()).filter(
        status__in=LIVE,
        term=Term.ANNUAL,
        billing_frequency=BillingFrequency.MONTHLY,
        offer__kind=Offer.Kind.SEAT,
    )
    while True:
        batch = list(due.filter(pk__gt=last).order_by("pk")[:batch_size])
        if not batch:
            return written
        last = batch[-1].pk
        changes: dict[int, list[tuple[date, Decimal]]] = {}
        for subscription_id, day, units in Charge.objects.filter(
            subscription_id__in=[s.pk for s in batch],
            tier=Tier.RESELLER,
            kind__in=[Kind.QUANTITY_INCREASE, Kind.QUANTITY_DECREASE],
            charge_date__gt=today - timedelta(days=400),
        ).values_list("subscription_id", "charge_date", "quantity"):
            changes.setdefault(subscription_id, []).append((day, units))
        rows: list[Charge] = []
        for subscription in batch:
            # Only the last month due is new on a normal day; a whole term at most after a gap.
            for line in recurring_lines(subscription, today, changes.get(subscription.pk, [])):
                rows.extend(_charges(subscription, line))
        with transaction.atomic():
            written += _write(rows)


# --- usage ------------------------------------------------------------------------------------


@dataclass
class UsageResult:
    imported: int = 0
    replaced: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] | None = None


def usage_import(
    provider: Organization,
    rows: Iterable[tuple[int, date, Decimal]],
    *,
    imported_by: Any = None,
    today: date | None = None,
) -> UsageResult:
    """The provider's daily usage: (subscription id, day, quantity) rows. A row is refused (with
    its 1-based row number and reason) unless the subscription is the provider's and usage-based,
    the day is within its life (purchase to its end or today, not in the future) and the
    quantity is zero or more. One record per subscription and day: a re-import of the same day
    replaces the record and its lines while they are on no invoice, else it is refused (the day
    is billed; a correction goes on a later day). Each record is rated into one USAGE line per
    tier. All valid rows are written in one transaction; errors are reported, not raised."""
    today = today or timezone.localdate()
    result = UsageResult(errors=[])
    assert result.errors is not None
    parsed: list[tuple[int, int, date, Decimal]] = []
    for number, (subscription_id, day, quantity) in enumerate(rows, start=1):
        parsed.append((number, subscription_id, day, quantity))
    subscriptions = Subscription.objects.select_related("offer").in_bulk(
        {sid for _n, sid, _d, _q in parsed}
    )
    with transaction.atomic():
        for number, subscription_id, day, quantity in parsed:
            subscription = subscriptions.get(subscription_id)
            reason = _usage_refusal(provider, subscription, day, quantity, today)
            if reason:
                result.errors.append((number, reason))
                continue
            assert subscription is not None
            existing = (
                UsageRecord.objects.select_for_update()
                .filter(subscription=subscription, usage_date=day)
                .first()
            )
            if existing is not None:
                lines = Charge.objects.filter(source=f"usage:{existing.pk}")
                if lines.filter(invoice__isnull=False).exists():
                    result.errors.append((number, _("This day is already invoiced.")))
                    continue
                if existing.quantity == quantity:
                    result.unchanged += 1
                    continue
                lines.delete()
                existing.quantity = quantity
                existing.imported_by = imported_by
                existing.imported_at = timezone.now()
                existing.save(update_fields=["quantity", "imported_by", "imported_at"])
                record, result.replaced = existing, result.replaced + 1
            else:
                record = UsageRecord.objects.create(
                    subscription=subscription,
                    usage_date=day,
                    quantity=quantity,
                    imported_by=imported_by,
                )
                result.imported += 1
            _write(usage_charges(subscription, record))
    return result


def _usage_refusal(
    provider: Organization,
    subscription: Subscription | None,
    day: date,
    quantity: Decimal,
    today: date,
) -> str:
    if subscription is None or subscription.provider_id != provider.pk:
        return _("No such subscription of yours.")
    if subscription.offer.kind != Offer.Kind.USAGE:
        return _("This subscription's offer is not usage-based.")
    last = day_of(subscription.ended_at) if subscription.ended_at else today
    if not day_of(subscription.purchased_at) <= day <= min(last, today):
        return _("The day is outside the subscription's life.")
    if quantity < 0:
        return _("The quantity must be zero or more.")
    return ""


def usage_charges(subscription: Subscription, record: UsageRecord) -> list[Charge]:
    return _charges(
        subscription,
        Line(
            kind=Kind.USAGE,
            quantity=record.quantity,
            months=1,
            fraction=(1, 1),
            service_start=record.usage_date,
            service_end=record.usage_date,
            charge_date=record.usage_date,
            source=f"usage:{record.pk}",
        ),
    )


def usage_rows_from_csv(
    data: bytes,
) -> tuple[list[tuple[int, tuple[int, date, Decimal]]], list[tuple[int, str]]]:
    """The usage file's rows as (line number, (subscription id, day, quantity)) (columns
    subscription, date YYYY-MM-DD, quantity with a decimal point or comma), read with the
    portal's CSV reader, and the lines it could not read (line number, reason)."""
    from portal.csv_import import column_key, csv_read

    csv_file = csv_read(data)
    keys = [column_key(name) for name in csv_file.header]
    rows: list[tuple[int, tuple[int, date, Decimal]]] = []
    errors: list[tuple[int, str]] = []
    for line, cells in csv_file.records():
        if not any(cell.strip() for cell in cells):
            continue
        values = dict(zip(keys, (cell.strip() for cell in cells), strict=False))
        try:
            rows.append(
                (
                    line,
                    (
                        int(values.get("subscription", "")),
                        date.fromisoformat(values.get("date", "")),
                        Decimal(values.get("quantity", "").replace(",", ".")),
                    ),
                )
            )
        except (ValueError, ArithmeticError):
            errors.append((line, _("Unreadable row: subscription, date, quantity expected.")))
    return rows, errors


# --- the monthly close --------------------------------------------------------------------------


def invoice_number(seller_id: int, year: int, sequence: int) -> str:
    return f"INV-{seller_id}-{year}-{sequence:06d}"


def _close_pause() -> None:
    """The fault suite slows each invoice's transaction down (INVOICING_CLOSE_PAUSE_SECONDS) to
    kill the close in the middle of one."""
    pause = float(os.environ.get("INVOICING_CLOSE_PAUSE_SECONDS") or 0)
    if pause:
        time.sleep(pause)


def period_close(
    period: date,
    *,
    now: datetime | None = None,
    seller_batch: int = 200,
    batch: int = 500,
    notify: bool = True,
) -> int:
    """Close the calendar month starting `period`: issue every invoice due, up to `batch`
    invoices of one seller per transaction (each invoice whole in it). Idempotent and resumable
    (a crashed close is finished by the next run). Returns the invoices it issued.
    `notify=False` (the demo's history) sends no "invoice issued" email."""
    now = now or timezone.now()
    period = month_start(period)
    end = next_month(period)
    if end > timezone.localdate(now):
        raise ValidationError(_("A month can be closed only after it has ended."))
    billing_period, _created = BillingPeriod.objects.get_or_create(period=period)
    if billing_period.status == BillingPeriod.Status.CLOSED:
        return 0
    unbilled = Charge.objects.filter(invoice__isnull=True, charge_date__lt=end)
    issued, last_seller, failed = 0, 0, False
    while True:
        sellers = list(
            unbilled.filter(seller_id__gt=last_seller)
            .order_by("seller_id")
            .values_list("seller_id", flat=True)
            .distinct()[:seller_batch]
        )
        if not sellers:
            break
        last_seller = sellers[-1]
        groups: dict[tuple[int, int, str], str] = {}
        for seller_id, buyer_id, currency, tier in (
            # The same sellers as a range: one scan of the unbilled-pair index.
            unbilled.filter(seller_id__gte=sellers[0], seller_id__lte=last_seller)
            .order_by("seller_id", "buyer_id", "currency", "tier")
            .values_list("seller_id", "buyer_id", "currency", "tier")
            .distinct()
        ):
            groups.setdefault((seller_id, buyer_id, currency), tier)
        keys = list(groups)
        for offset in range(0, len(keys), batch):
            chunk = keys[offset : offset + batch]
            buyers = Organization.objects.only("pk", "language", "legal_name").in_bulk(
                {buyer_id for _s, buyer_id, _c in chunk}
            )
            pending = [(s, buyers[b], c, groups[(s, b, c)]) for s, b, c in chunk]
            try:
                issued += _invoices_issue(billing_period, pending, end, now, notify)
            except _Uneven:
                # A group lost its lines to another writer meanwhile: one by one instead.
                for one in pending:
                    try:
                        issued += _invoices_issue(billing_period, [one], end, now, notify)
                    except _Uneven:
                        logger.warning("invoicing: %s to %s not issued", one[0], one[1].pk)
                        failed = True
    if failed:  # left CLOSING: the next run retries what failed
        return issued
    with transaction.atomic():
        billing_period = BillingPeriod.objects.select_for_update().get(pk=billing_period.pk)
        if billing_period.status != BillingPeriod.Status.CLOSED:
            billing_period.status = BillingPeriod.Status.CLOSED
            billing_period.closed_at = timezone.now()
            billing_period.invoices = Invoice.objects.filter(period=period).count()
            billing_period.save(update_fields=["status", "closed_at", "invoices"])
    logger.info("invoicing: %s closed, %s invoices issued by this run", period, issued)
    return issued


class _Uneven(Exception):
    """A group of the batch had no line left to attach: the batch is rolled back whole."""


def _invoices_issue(
    billing_period: BillingPeriod,
    pending: list[tuple[int, Organization, str, str]],
    end: date,
    now: datetime,
    notify: bool = True,
) -> int:
    """Issue the invoices of `pending` (seller id, buyer, currency, tier) in one transaction:
    numbers, rows, lines attached, totals, emails; set-based (a few queries for the batch).
    Each invoice is whole or absent after a crash. Skips a pair already invoiced for the period
    (another close); returns how many it issued."""
    period = billing_period.period
    try:
        with transaction.atomic():
            locked = BillingPeriod.objects.select_for_update().get(pk=billing_period.pk)
            if locked.status == BillingPeriod.Status.CLOSED:
                return 0
            done = set(
                Invoice.objects.filter(
                    period=period,
                    seller_id__in={seller for seller, _b, _c, _t in pending},
                    buyer_id__in={buyer.pk for _s, buyer, _c, _t in pending},
                ).values_list("seller_id", "buyer_id", "currency")
            )
            todo = [p for p in pending if (p[0], p[1].pk, p[2]) not in done]
            if not todo:
                return 0
            year = timezone.localdate(now).year
            counts: dict[int, int] = {}
            for seller_id, _buyer, _currency, _tier in todo:
                counts[seller_id] = counts.get(seller_id, 0) + 1
            numbers = _next_sequences(counts, year)
            rows = []
            for seller_id, buyer, currency, tier in todo:
                sequence = numbers[seller_id]
                numbers[seller_id] += 1
                rows.append(
                    Invoice(
                        seller_id=seller_id,
                        buyer=buyer,
                        tier=tier,
                        currency=currency,
                        period=period,
                        year=year,
                        sequence=sequence,
                        number=invoice_number(seller_id, year, sequence),
                        total=Decimal("0"),
                        lines=0,
                        language=email_language(organization=buyer),
                        issued_at=now,
                    )
                )
            invoices = Invoice.objects.bulk_create(rows)
            if any(invoice.pk is None for invoice in invoices):  # a backend without RETURNING
                by_number = {i.number: i for i in invoices}
                for pk, number in Invoice.objects.filter(
                    number__in=list(by_number), period=period
                ).values_list("pk", "number"):
                    by_number[number].pk = pk
            _lines_attach(invoices, end)
            _close_pause()  # the fault suite kills the close here, inside the transaction
            totals = {
                invoice_id: (total, lines)
                for invoice_id, total, lines in Charge.objects.filter(
                    invoice_id__in=[i.pk for i in invoices]
                )
                .values("invoice_id")
                .annotate(total=Sum("amount"), lines=Count("id"))
                .values_list("invoice_id", "total", "lines")
                .order_by()
            }
            if len(totals) != len(invoices):
                raise _Uneven
            for invoice in invoices:
                total, lines = totals[invoice.pk]
                invoice.total, invoice.lines = cents(total), lines
            Invoice.objects.bulk_update(invoices, ["total", "lines"])
            if notify:
                sellers = Organization.objects.only("pk", "legal_name").in_bulk(counts)
                for invoice in invoices:
                    invoice.seller = sellers[invoice.seller_id]
                send_invoices_issued(invoices)
    except _Uneven:
        if len(pending) > 1:
            raise
        return 0  # its lines went to another invoice meanwhile: nothing left to bill
    except IntegrityError:
        # Another close issued one of them between our check and insert: all rolled back.
        if (
            len(pending) > 1
            or not Invoice.objects.filter(
                seller_id=pending[0][0], buyer=pending[0][1], currency=pending[0][2], period=period
            ).exists()
        ):
            raise _Uneven from None
        return 0
    return len(invoices)


# Each new invoice of a batch takes its pair's uninvoiced lines charged before the month's end:
# one UPDATE joined to the batch's invoice rows, each pair one range of charge_unbilled_pair
# (an OR of pairs with a CASE per pair, the ORM's way, costs the batch's size on every line).
LINES_ATTACH = """
    UPDATE invoicing_charge SET invoice_id = invoicing_invoice.id
    FROM invoicing_invoice
    WHERE invoicing_invoice.id IN ({ids})
      AND invoicing_charge.seller_id = invoicing_invoice.seller_id
      AND invoicing_charge.buyer_id = invoicing_invoice.buyer_id
      AND invoicing_charge.currency = invoicing_invoice.currency
      AND invoicing_charge.invoice_id IS NULL
      AND invoicing_charge.charge_date < %s
"""


def _lines_attach(invoices: list[Invoice], end: date) -> None:
    ids = [invoice.pk for invoice in invoices]
    with connection.cursor() as cursor:
        cursor.execute(LINES_ATTACH.format(ids=", ".join(["%s"] * len(ids))), [*ids, end])


def _next_sequences(counts: dict[int, int], year: int) -> dict[int, int]:
    """For each seller, the first of its next `counts[seller]` invoice numbers in `year`; the
    sequence rows stay locked until the transaction ends (a rollback gives the numbers back:
    no gaps)."""
    InvoiceSequence.objects.bulk_create(
        [InvoiceSequence(seller_id=seller, year=year) for seller in counts],
        ignore_conflicts=True,
    )
    locked = list(
        InvoiceSequence.objects.select_for_update()
        .filter(seller_id__in=counts, year=year)
        .order_by("seller_id")
    )
    first = {sequence.seller_id: sequence.last_number + 1 for sequence in locked}
    for sequence in locked:
        sequence.last_number += counts[sequence.seller_id]
    InvoiceSequence.objects.bulk_update(locked, ["last_number"])
    return first


def previous_period(now: datetime | None = None) -> date:
    return add_months_date(month_start(timezone.localdate(now or timezone.now())), -1)
