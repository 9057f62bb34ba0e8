"""The invoice PDF (WeasyPrint), read back with pdftotext: the right total and lines, both
parties' legal details, and the invoice's language (English, Italian), served only to the
invoice's parties."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from invoicing.pdf import invoice_pdf
from invoicing.selectors import legal_details
from tests.factories import member, profile_for
from tests.invoicing.factories import chain

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext)"),
]


def _text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    done = subprocess.run(
        ["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return " ".join(done.stdout.decode().split())


def _pdf_of(inv) -> str:
    return _text(invoice_pdf(inv, seller=legal_details(inv.seller), buyer=legal_details(inv.buyer)))


def test_the_english_pdf_carries_the_total_lines_and_legal_details():
    c = chain(language="en")
    profile = profile_for(c.northwind)
    profile.registration_id = "IT01234567890"
    profile.save()
    text = _pdf_of(c.reseller_invoice)
    assert f"Invoice {c.reseller_invoice.number}" in text
    assert "Total (EUR) €106.00" in text
    assert "€100.00" in text and "€6.00" in text
    assert "October 2026" in text
    assert "Northwind Traders" in text and "Via Roma 1" in text and "IT01234567890" in text
    assert "BILL TO" in text and "Adatum Corporation" in text
    assert "Usage" in text and "Monthly charge" in text
    assert "€80.00" not in text and "€4.50" not in text  # never Contoso's prices


def test_the_italian_pdf_is_in_italian():
    c = chain(language="it")
    text = _pdf_of(c.provider_invoice)
    assert f"Fattura {c.provider_invoice.number}" in text
    assert "Totale (EUR) 124,50 €" in text
    assert "ottobre 2026" in text.lower()
    assert "Utilizzo" in text and "Addebito mensile" in text and "INTESTATARIO" in text
    assert "Total (EUR)" not in text


def test_the_pdf_is_served_to_the_invoices_parties_only(client_for):
    c = chain()
    response = client_for(member(c.adatum)).get(f"/billing/invoices/{c.reseller_invoice.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "€106.00" in _text(response.content)
    contoso = client_for(member(c.contoso))
    assert contoso.get(f"/billing/invoices/{c.reseller_invoice.pk}/pdf/").status_code == 404
