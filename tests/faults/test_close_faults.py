"""A close killed in the middle of an invoice (issue 25): `manage.py close_period` in a child
process, slowed inside each invoice's transaction, SIGKILLed after it issued some invoices. No
partial invoice is left (every invoice's total is the sum of its lines, numbers have no gaps)
and a second run completes the month."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.db.models import Sum

from commerce.models import Offer
from commerce.services import order_place
from invoicing.models import BillingPeriod, Charge, Invoice, InvoiceSequence
from tests.factories import acting, member
from tests.faults.conftest import wait_until
from tests.integration.conftest import _database_url
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = 6  # 6 invoices from the reseller + 1 from the provider
JUNE = date(2026, 6, 1)


def _close(pause: float) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": _database_url(),
        "INVOICING_CLOSE_PAUSE_SECONDS": str(pause),
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "close_period", "2026-06", "--no-recurring", "--batch", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _assert_whole():
    for invoice in Invoice.objects.all():
        lines = Charge.objects.filter(invoice=invoice)
        assert lines.count() == invoice.lines > 0
        assert lines.aggregate(s=Sum("amount"))["s"] == invoice.total
    for sequence in InvoiceSequence.objects.all():
        numbers = sorted(
            Invoice.objects.filter(seller=sequence.seller, year=sequence.year).values_list(
                "sequence", flat=True
            )
        )
        assert numbers == list(range(1, sequence.last_number + 1))


def test_close_killed_mid_invoice_leaves_no_partial_invoice_and_resumes():
    pair = ProviderRelationshipFactory(provider=provider_org(legal_name="Contoso Distribution"))
    contoso = member(pair.provider)
    offer = Offer.objects.get(code="team-workspace-standard")
    for number in range(CUSTOMERS):
        shared = CustomerRelationshipFactory(
            relationship=pair, customer=customer_org(legal_name=f"Customer {number} S.r.l.")
        )
        with time_machine.travel(datetime(2026, 6, 2 + number, 9, tzinfo=UTC), tick=False):
            order_place(
                **acting(contoso),
                customer_id=shared.customer_id,
                offer_id=offer.pk,
                quantity=3 + number,
                term="monthly",
                billing_frequency="monthly",
            )
    assert Charge.objects.count() == 2 * CUSTOMERS

    close = _close(pause=1.5)
    try:
        # Killed while the third invoice's transaction is open (its lines attached, no total).
        assert wait_until(lambda: Invoice.objects.count() >= 2, 90), close.stdout
        os.killpg(close.pid, signal.SIGKILL)
        close.wait(10)
    finally:
        if close.poll() is None:
            os.killpg(close.pid, signal.SIGKILL)
    issued = Invoice.objects.count()
    assert 2 <= issued < CUSTOMERS + 1
    _assert_whole()
    assert Charge.objects.filter(invoice__isnull=True).count() == 2 * CUSTOMERS - sum(
        Invoice.objects.values_list("lines", flat=True)
    )
    assert BillingPeriod.objects.get(period=JUNE).status == BillingPeriod.Status.CLOSING

    again = _close(pause=0)
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output.decode()
    assert f"{CUSTOMERS + 1 - issued} invoices issued" in output.decode()
    assert Invoice.objects.count() == CUSTOMERS + 1
    assert not Charge.objects.filter(invoice__isnull=True).exists()
    assert BillingPeriod.objects.get(period=JUNE).status == BillingPeriod.Status.CLOSED
    _assert_whole()
    total = Charge.objects.aggregate(s=Sum("amount"))["s"]
    assert Invoice.objects.aggregate(s=Sum("total"))["s"] == total > Decimal("0")
