"""The monthly close (issue 25): one invoice per seller, buyer, currency and month whose total
is the sum of its lines; numbers without gaps per seller and year; a second run writes nothing;
two runs at once write one set."""

from __future__ import annotations

import contextlib
import threading
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from commerce.services import subscription_quantity_change
from invoicing.models import BillingPeriod, Charge, Invoice, InvoiceSequence, Tier
from invoicing.services import period_close
from tests.factories import acting
from tests.invoicing.conftest import at, order
from tests.relationships.factories import customer_org
from tests.threads import in_threads

JUNE = date(2026, 6, 1)


def _june(world):
    """Adatum: 10 seats on June 1, +3 on June 10; Fourth Coffee: 4 seats on June 20, and a
    purchase on July 1 that June's close leaves unbilled."""
    adatum = order(world, at(2026, 6, 1), quantity=10)
    with time_machine.travel(at(2026, 6, 10), tick=False):
        subscription_quantity_change(
            **acting(world["northwind"]), subscription_id=adatum.pk, quantity=13
        )
    order(world, at(2026, 6, 20), customer="fourth", quantity=4)
    # July's purchase: not in June's invoices.
    order(world, at(2026, 7, 1, 0), customer="fourth", quantity=1, code="secure-mail-plus")


def _assert_reconciles():
    for invoice in Invoice.objects.all():
        lines = Charge.objects.filter(invoice=invoice)
        assert invoice.total == lines.aggregate(s=Sum("amount"))["s"]
        assert invoice.lines == lines.count()
        assert not lines.exclude(
            seller=invoice.seller, buyer=invoice.buyer, currency=invoice.currency
        ).exists()
    for sequence in InvoiceSequence.objects.all():
        numbers = sorted(
            Invoice.objects.filter(seller=sequence.seller, year=sequence.year).values_list(
                "sequence", flat=True
            )
        )
        assert numbers == list(range(1, sequence.last_number + 1))


@pytest.mark.django_db
def test_the_close_issues_one_invoice_per_seller_and_buyer(world):
    _june(world)
    with time_machine.travel(at(2026, 7, 1, 2), tick=False):
        assert period_close(JUNE) == 3
    contoso, northwind = world["pair"].provider, world["pair"].reseller
    to_northwind = Invoice.objects.get(seller=contoso, buyer=northwind)
    assert to_northwind.tier == Tier.PROVIDER
    # 10 x 10.00 + 3 x 10.00 x 21/30 + 4 x 10.00
    assert to_northwind.total == Decimal("161.00")
    assert to_northwind.lines == 3
    assert to_northwind.period == JUNE
    assert to_northwind.number == f"INV-{contoso.pk}-2026-000001"
    to_adatum = Invoice.objects.get(seller=northwind, buyer=world["adatum"].customer)
    assert to_adatum.total == Decimal("145.20")  # 120.00 + 25.20
    assert to_adatum.language == (world["adatum"].customer.language or "en")
    to_fourth = Invoice.objects.get(seller=northwind, buyer=world["fourth"].customer)
    assert to_fourth.total == Decimal("48.00")
    assert {to_adatum.sequence, to_fourth.sequence} == {1, 2}
    # July's purchase stays unbilled.
    assert Charge.objects.filter(invoice__isnull=True, charge_date=date(2026, 7, 1)).count() == 2
    assert BillingPeriod.objects.get(period=JUNE).status == BillingPeriod.Status.CLOSED
    assert BillingPeriod.objects.get(period=JUNE).invoices == 3
    _assert_reconciles()


@pytest.mark.django_db
def test_the_close_run_twice_writes_no_second_invoice(world):
    _june(world)
    with time_machine.travel(at(2026, 7, 1, 2), tick=False):
        assert period_close(JUNE) == 3
        assert period_close(JUNE) == 0
    assert Invoice.objects.count() == 3
    _assert_reconciles()


@pytest.mark.django_db
def test_a_resumed_close_finishes_what_a_crashed_one_left(world):
    """A close that stopped after some invoices (status still CLOSING) resumes with the rest."""
    _june(world)
    with time_machine.travel(at(2026, 7, 1, 2), tick=False):
        from invoicing import services

        real = services._invoices_issue
        calls = []

        def crash_after_one(*args, **kwargs):
            if calls:
                raise RuntimeError("killed")
            calls.append(1)
            return real(*args, **kwargs)

        services._invoices_issue = crash_after_one
        try:
            with pytest.raises(RuntimeError):
                period_close(JUNE, batch=1)
        finally:
            services._invoices_issue = real
        assert Invoice.objects.count() == 1
        assert BillingPeriod.objects.get(period=JUNE).status == BillingPeriod.Status.CLOSING
        assert period_close(JUNE) == 2
    assert Invoice.objects.count() == 3
    _assert_reconciles()


@pytest.mark.django_db
def test_a_month_closes_only_after_it_ended(world):
    with time_machine.travel(at(2026, 6, 30, 23), tick=False), pytest.raises(ValidationError):
        period_close(JUNE)


@pytest.mark.django_db
def test_a_late_line_of_a_closed_month_goes_on_the_next_invoice(world):
    _june(world)
    with time_machine.travel(at(2026, 7, 1, 2), tick=False):
        period_close(JUNE)
    late = Charge.objects.filter(kind="purchase").first()
    assert late is not None
    Charge.objects.create(
        **{
            f.attname: getattr(late, f.attname)
            for f in Charge._meta.concrete_fields
            if f.attname not in ("id", "invoice_id", "source")
        }
        | {"source": "late", "charge_date": date(2026, 6, 30)}
    )
    with time_machine.travel(at(2026, 8, 1, 2), tick=False):
        period_close(date(2026, 7, 1))
    assert Charge.objects.get(source="late").invoice.period == date(2026, 7, 1)
    _assert_reconciles()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL's row locks: SQLite serialises writers, so closes never collide",
)
def test_two_closes_at_once_write_one_set_of_invoices(world, monkeypatch):
    """Both closes reach the issuing of the same invoices together (a barrier holds each just
    before its transaction): the BillingPeriod row lock lets one issue them while the other
    waits, then finds them issued: it takes no invoice numbers and needs no invoice-by-invoice
    retry (without the lock it collides on the unique invoice and retries). Suite "races"
    (tests/suites.py): PostgreSQL, under make test-all."""
    from invoicing import services

    _june(world)
    barrier = threading.Barrier(2, timeout=10)
    real_issue, real_sequences = services._invoices_issue, services._next_sequences
    arrived = []
    first = threading.local()
    calls: list[tuple[int, int, object]] = []  # (thread, groups in the batch, result)
    numbering: list[int] = []  # the threads that took invoice numbers
    other_numbering = threading.Event()
    held = []

    def together(billing_period, pending, *args, **kwargs):
        if not getattr(first, "done", False):  # each close's first batch (a retry goes alone)
            first.done = True
            arrived.append(1)
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
        try:
            result = real_issue(billing_period, pending, *args, **kwargs)
        except Exception as exc:
            calls.append((threading.get_ident(), len(pending), type(exc).__name__))
            raise
        calls.append((threading.get_ident(), len(pending), result))
        return result

    def sequences(counts, year):
        numbering.append(threading.get_ident())
        if len(numbering) > 1:
            other_numbering.set()
        return real_sequences(counts, year)

    def hold():
        # The first close to insert keeps its transaction open until the other one is seen
        # taking numbers too (no lock) or a second has passed (the other waits on the lock).
        if not held:
            held.append(1)
            other_numbering.wait(1)

    monkeypatch.setattr(services, "_invoices_issue", together)
    monkeypatch.setattr(services, "_next_sequences", sequences)
    monkeypatch.setattr(services, "_close_pause", hold)
    with time_machine.travel(at(2026, 7, 1, 2), tick=True):
        results = in_threads(lambda: period_close(JUNE), lambda: period_close(JUNE))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert not barrier.broken and len(arrived) == 2  # they really met
    assert sorted(results) == [0, 3]
    # The loser found the three invoices issued in its one batch: no numbers taken, no retry.
    assert sorted((result for _thread, _groups, result in calls), key=str) == [0, 3], calls
    assert len(numbering) == 1, calls
    assert Invoice.objects.count() == 3
    assert not Charge.objects.filter(invoice__isnull=True, charge_date__lt=date(2026, 7, 1))
    _assert_reconciles()


@pytest.mark.django_db
@pytest.mark.parametrize("batch", [1, 3, 500])
def test_a_batch_of_many_invoices_issues_what_one_by_one_would(world, batch):
    """Sellers with several buyers, buyers with several sellers, a pair in two currencies and
    lines after the month's end: whatever the invoices per transaction, each invoice holds
    exactly its seller, buyer and currency's lines of the month, and each seller's numbers run
    1, 2, 3... in (buyer, currency) order."""
    subscription = order(world, at(2026, 6, 1), quantity=1)
    template = Charge.objects.filter(subscription=subscription).first()
    assert template is not None
    northwind, contoso = world["pair"].reseller, world["pair"].provider
    buyers = [customer_org(legal_name=f"Buyer {n} S.r.l.") for n in range(4)]
    Charge.objects.all().delete()
    rows = []
    for s, seller in enumerate((contoso, northwind)):
        for b, buyer in enumerate(buyers):
            for currency in ("EUR", "USD") if b == 1 else ("EUR",):
                for day in (3, 17, 30) if (s + b) % 2 else (9,):
                    rows.append((seller, buyer, currency, date(2026, 6, day)))
                rows.append((seller, buyer, currency, date(2026, 7, 1)))  # July's
    Charge.objects.bulk_create(
        Charge(
            **{
                f.attname: getattr(template, f.attname)
                for f in Charge._meta.concrete_fields
                if f.attname not in ("id", "invoice_id")
            }
            | {
                "seller_id": seller.pk,
                "buyer_id": buyer.pk,
                "currency": currency,
                "charge_date": day,
                "amount": Decimal(n) + Decimal("0.37"),
                "source": f"line:{n}",
            }
        )
        for n, (seller, buyer, currency, day) in enumerate(rows)
    )
    expected: dict[tuple[int, int, str], set[int]] = {}
    for pk, seller_id, buyer_id, currency in Charge.objects.filter(
        charge_date__lt=date(2026, 7, 1)
    ).values_list("pk", "seller_id", "buyer_id", "currency"):
        expected.setdefault((seller_id, buyer_id, currency), set()).add(pk)

    with time_machine.travel(at(2026, 7, 1, 2), tick=False):
        assert period_close(JUNE, batch=batch) == len(expected) == 10
    for invoice in Invoice.objects.all():
        lines = set(invoice.charges.values_list("pk", flat=True))
        assert lines == expected[(invoice.seller_id, invoice.buyer_id, invoice.currency)]
        assert invoice.total == sum(Charge.objects.get(pk=pk).amount for pk in lines)
    for seller in (contoso, northwind):
        issued = Invoice.objects.filter(seller=seller).order_by("buyer_id", "currency")
        assert [i.sequence for i in issued] == [1, 2, 3, 4, 5]
    assert Charge.objects.filter(invoice__isnull=True).count() == 10  # July's
    _assert_reconciles()
