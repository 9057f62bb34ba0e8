"""Issue 25's acceptance, end to end through the real flow (price lists, an order and two
quantity changes across June with time-machine, the June close; tests/invoicing/flow.py):

- Northwind's invoice from Contoso reconciles: the lines' sum = the invoice total = the billed
  reconciliation file's sum for that period and currency, read over HTTP as a spreadsheet reads
  the file (Python's csv module, the excel dialect), in Northwind's file and in Contoso's.
- Adatum's invoice from Northwind shows Northwind's prices and never Contoso's, on every page,
  export, email and API response Adatum's admin gets; Contoso never sees Adatum's prices.
  (The PDF, read back with pdftotext, is checked in tests/invoicing/test_pdf.py: a subprocess.)"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum

from invoicing.exports import HEADER
from invoicing.models import Charge, Invoice
from portal.models import OutboxMessage
from tests.api.factories import api_client_of, bearer
from tests.invoicing.flow import (
    ADATUM_AMOUNTS,
    CONTOSO_AMOUNTS,
    Flow,
    at,
    both_formats,
    june_closed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow() -> Flow:
    return june_closed()


def _body(response) -> str:
    assert response.status_code == 200, (response.status_code, response.content[:300])
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def _reconciliation(client, query: str) -> list[dict[str, str]]:
    """The file as a spreadsheet reads it: UTF-8, comma-separated, quoted per the excel dialect,
    amounts with a decimal point."""
    response = client.get(f"/billing/reconciliation/export.csv?{query}")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="reconciliation.csv"'
    text = _body(response)
    rows = list(csv.reader(io.StringIO(text, newline=""), dialect="excel"))
    assert tuple(rows[0]) == HEADER
    assert all(len(row) == len(HEADER) for row in rows)
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def _total(rows) -> Decimal:
    return sum((Decimal(row["Total"]) for row in rows), Decimal(0))


def test_northwinds_invoice_from_contoso_reconciles(flow, client_for):
    invoice = flow.from_contoso
    lines = Charge.objects.filter(invoice=invoice)
    assert invoice.total == Decimal("91.84")  # 78.40 - 10.08 + 23.52
    assert lines.aggregate(s=Sum("amount"))["s"] == invoice.total
    assert sorted(lines.values_list("amount", flat=True)) == [
        Decimal("-10.08"),
        Decimal("23.52"),
        Decimal("78.40"),
    ]
    assert invoice.lines == 3 and invoice.currency == "EUR"

    # Northwind's billed file for June in EUR holds what it received and what it issued.
    northwind_rows = _reconciliation(
        client_for(flow.admins["northwind"]), "period=2026-06&currency=EUR"
    )
    received = [r for r in northwind_rows if r["InvoiceNumber"] == invoice.number]
    assert _total(received) == invoice.total
    assert len(received) == invoice.lines
    assert {(r["PartnerName"], r["BillToName"], r["Currency"]) for r in received} == {
        ("Contoso Distribution", "Northwind Traders", "EUR")
    }
    assert {r["ChargeType"] for r in received} == {"new", "removeQuantity", "addQuantity"}
    assert {r["UnitPrice"] for r in received} == {"11.20"}
    assert {r["InvoiceNumber"] for r in northwind_rows} == {invoice.number, flow.to_adatum.number}
    assert _total(northwind_rows) == sum(
        Invoice.objects.filter(period=invoice.period).values_list("total", flat=True)
    )

    # Contoso's file for the same month and currency: this invoice alone, the same sum.
    contoso = client_for(flow.admins["contoso"])
    contoso_rows = _reconciliation(contoso, "period=2026-06&currency=EUR")
    assert {r["InvoiceNumber"] for r in contoso_rows} == {invoice.number}
    assert _total(contoso_rows) == invoice.total
    assert sorted(Decimal(r["Total"]) for r in contoso_rows) == sorted(
        lines.values_list("amount", flat=True)
    )

    # Nothing of June is left unbilled; no USD invoice or row.
    assert not Charge.objects.filter(invoice__isnull=True).exists()
    usd = _reconciliation(client_for(flow.admins["northwind"]), "period=2026-06&currency=USD")
    assert usd == []


def test_adatums_invoice_reconciles_at_northwinds_prices(flow, client_for):
    invoice = flow.to_adatum
    assert invoice.total == Decimal("110.20")  # 94.08 - 12.10 + 28.22
    rows = _reconciliation(client_for(flow.admins["adatum"]), "period=2026-06&currency=EUR")
    assert {r["InvoiceNumber"] for r in rows} == {invoice.number}
    assert (
        _total(rows)
        == invoice.total
        == Charge.objects.filter(invoice=invoice).aggregate(s=Sum("amount"))["s"]
    )
    assert {r["UnitPrice"] for r in rows} == {"13.44"}


def _pages(flow: Flow, client, invoice: Invoice) -> dict[str, str]:
    """Every page and export showing money to a party of `invoice` (its buyer or seller)."""
    pk = flow.subscription.pk
    urls = [
        "/subscriptions/",
        f"/subscriptions/{pk}/",
        "/subscriptions/export.csv",
        "/billing/",
        "/billing/export.csv",
        "/billing/invoices/",
        f"/billing/invoices/{invoice.pk}/",
        "/billing/reconciliation/",
        "/billing/reconciliation/export.csv?period=2026-06&currency=EUR",
        "/billing/reconciliation/export.csv?period=unbilled&currency=EUR",
    ]
    with time_machine.travel(at(2026, 7, 2), tick=False):
        return {url: _body(client.get(url)) for url in urls}


def _emails(organization) -> dict[str, str]:
    return {
        f"{m.template} to {m.to_email}": f"{m.subject}\n{m.context}\n{m.body_text}\n{m.body_html}"
        for m in OutboxMessage.objects.filter(organization=organization)
    }


def _assert_only(texts: dict[str, str], *, shown: list[str], hidden: list[str], who: str) -> None:
    for where, text in texts.items():
        for amount in both_formats(hidden):
            assert amount not in text, f"{who} sees {amount} on {where}"
    joined = "\n".join(texts.values())
    for amount in shown:
        assert amount in joined or amount.replace(".", ",") in joined, (who, amount)


def test_adatum_sees_northwinds_prices_and_never_contosos(flow, client_for):
    client = client_for(flow.admins["adatum"])
    pages = _pages(flow, client, flow.to_adatum)
    _assert_only(pages, shown=ADATUM_AMOUNTS, hidden=CONTOSO_AMOUNTS, who="Adatum")
    # Each money page carries Adatum's own price or amounts.
    assert "13.44" in pages[f"/subscriptions/{flow.subscription.pk}/"]
    assert "120.96" in pages["/billing/"]  # 9 seats at 13.44 a month
    assert "110.20" in pages["/billing/invoices/"]
    detail = pages[f"/billing/invoices/{flow.to_adatum.pk}/"]
    assert "110.20" in detail and "94.08" in detail and "28.22" in detail
    # Contoso's invoice to Northwind is not Adatum's to open.
    assert client.get(f"/billing/invoices/{flow.from_contoso.pk}/").status_code == 404
    assert client.get(f"/billing/invoices/{flow.from_contoso.pk}/pdf/").status_code == 404

    emails = _emails(flow.adatum)
    assert any(key.startswith("invoicing_invoice_issued") for key in emails), list(emails)
    assert any(key.startswith("commerce_subscription") for key in emails), list(emails)
    _assert_only(emails, shown=["110.20"], hidden=CONTOSO_AMOUNTS, who="Adatum's email")

    api = _api_texts(flow, "adatum")
    _assert_only(api, shown=["13.44"], hidden=[*CONTOSO_AMOUNTS, "10.00"], who="Adatum's API")


def _api_texts(flow: Flow, who: str) -> dict[str, str]:
    api = bearer(api_client_of(flow.admins[who], ["admin_agent"]))
    urls = ("/api/v1/subscriptions/", f"/api/v1/subscriptions/{flow.subscription.pk}/")
    return {url: _body(api.get(url)) for url in urls}


def test_contoso_never_sees_adatums_prices(flow, client_for):
    client = client_for(flow.admins["contoso"])
    pages = _pages(flow, client, flow.from_contoso)
    _assert_only(pages, shown=CONTOSO_AMOUNTS, hidden=ADATUM_AMOUNTS, who="Contoso")
    assert "91.84" in pages["/billing/invoices/"]
    assert client.get(f"/billing/invoices/{flow.to_adatum.pk}/").status_code == 404
    assert client.get(f"/billing/invoices/{flow.to_adatum.pk}/pdf/").status_code == 404
    _assert_only(_emails(flow.contoso), shown=[], hidden=ADATUM_AMOUNTS, who="Contoso's email")
    api = _api_texts(flow, "contoso")
    _assert_only(api, shown=["11.20"], hidden=ADATUM_AMOUNTS, who="Contoso's API")


def test_northwind_sees_both_of_its_invoices(flow, client_for):
    """The one party that may see both tiers: what it buys at and what it sells at."""
    client = client_for(flow.admins["northwind"])
    listed = _body(client.get("/billing/invoices/"))
    assert "91.84" in listed and "110.20" in listed
    emails = _emails(flow.northwind)
    assert any("91.84" in text for key, text in emails.items() if "invoice_issued" in key)
