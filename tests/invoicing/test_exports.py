"""The reconciliation file: one row per charge of the organization's own invoices (billed) or
of its charges no invoice holds yet (unbilled); the billed file's sum for a period and currency
is the invoices' total; a party never sees another tier's lines."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from invoicing.exports import HEADER
from invoicing.models import BillingPeriod, Charge, Invoice
from tests.factories import member
from tests.invoicing.factories import chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_october(db):
    return BillingPeriod.objects.create(
        period=date(2026, 10, 1), status=BillingPeriod.Status.CLOSED
    )


def _file(client, query: str) -> list[dict[str, str]]:
    response = client.get(f"/billing/reconciliation/export.csv?{query}")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == HEADER
    return list(reader)


def _sum(rows) -> Decimal:
    return sum((Decimal(row["Total"]) for row in rows), Decimal(0))


def test_the_billed_file_sums_to_the_invoices_totals(client_for, closed_october):
    c = chain()
    rows = _file(client_for(member(c.northwind)), "period=2026-10&currency=EUR")
    totals = [c.provider_invoice.total, c.reseller_invoice.total, c.other_invoice.total]
    assert _sum(rows) == sum(totals) == Decimal("280.50")
    assert len(rows) == Charge.objects.filter(invoice__isnull=False).count()
    numbers = {row["InvoiceNumber"] for row in rows}
    assert numbers == {i.number for i in Invoice.objects.all()}


def test_the_provider_never_sees_the_customer_prices(client_for, closed_october):
    c = chain()
    rows = _file(client_for(member(c.contoso)), "period=2026-10&currency=EUR")
    assert _sum(rows) == c.provider_invoice.total == Decimal("124.50")
    assert {row["BillToName"] for row in rows} == {"Northwind Traders"}
    assert "12.50" not in {row["UnitPrice"] for row in rows}


def test_the_customer_never_sees_the_reseller_cost(client_for, closed_october):
    c = chain()
    rows = _file(client_for(member(c.adatum)), "period=2026-10&currency=EUR")
    assert _sum(rows) == c.reseller_invoice.total == Decimal("106.00")
    assert {row["PartnerName"] for row in rows} == {"Northwind Traders"}
    assert {row["CustomerName"] for row in rows} == {"Adatum Corporation"}
    assert not {"10.00", "1.50"} & {row["UnitPrice"] for row in rows}


def test_the_unbilled_file_holds_the_open_charges_of_the_party(client_for):
    c = chain()
    rows = _file(client_for(member(c.adatum)), "period=unbilled&currency=EUR")
    assert [(row["Total"], row["ChargeStartDate"]) for row in rows] == [("100.00", "2026-11-01")]
    assert rows[0]["InvoiceNumber"] == ""
    rows = _file(client_for(member(c.northwind)), "period=unbilled&currency=EUR")
    assert _sum(rows) == Decimal("180.00")


def test_rows_carry_partner_center_values(client_for, closed_october):
    c = chain()
    rows = _file(client_for(member(c.adatum)), "period=2026-10&currency=EUR")
    usage = [row for row in rows if row["ChargeType"] == "usage"]
    assert len(usage) == 3
    assert {row["ChargeType"] for row in rows} == {"usage", "cycleCharge"}
    seats = next(row for row in rows if row["ChargeType"] == "cycleCharge")
    assert seats["Quantity"] == "8" and seats["UnitPrice"] == "12.50"
    assert seats["SubscriptionId"] == str(c.seats.pk)
    assert seats["Currency"] == "EUR"
    assert seats["ChargeEndDate"] == "2026-10-30"


def test_a_month_not_closed_or_foreign_is_refused(client_for):
    c = chain()
    client = client_for(member(c.adatum))
    assert (
        client.get("/billing/reconciliation/export.csv?period=2026-10&currency=EUR").status_code
        == 400
    )
    assert (
        client.get("/billing/reconciliation/export.csv?period=bad&currency=EUR").status_code == 400
    )
    page = client.get("/billing/reconciliation/")
    assert page.status_code == 200 and "unbilled" in page.text


def test_a_large_file_is_offered_in_the_background(client_for, closed_october, settings):
    settings.PORTAL_EXPORT_STREAM_MAX_ROWS = 2
    c = chain()
    response = client_for(member(c.northwind)).get(
        "/billing/reconciliation/export.csv?period=2026-10&currency=EUR"
    )
    assert response.status_code == 200 and not response.streaming
    assert 'name="kind" value="reconciliation"' in response.text


def test_the_background_file_has_the_same_rows(client_for, closed_october):
    from django.core.files.storage import default_storage

    from portal.export_services import export_request, export_run

    c = chain()
    admin = member(c.adatum)
    export, _created = export_request(
        membership=admin,
        kind_name="reconciliation",
        params={"period": ["2026-10"], "currency": ["EUR"]},
        language="en",
    )
    done = export_run(export_id=export.pk)
    assert done is not None and done.status == "done", done and done.failure
    with default_storage.open(done.file_name, "rb") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read().decode())))
    assert _sum(rows) == Decimal("106.00")
