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


def test_each_tiers_pdf_from_the_real_flow_carries_its_own_prices_only(client_for):
    """Issue 25's acceptance (tests/invoicing/flow.py): Adatum's PDF from Northwind shows
    Northwind's prices and never Contoso's; Contoso's PDF to Northwind never Adatum's; Italian
    for an Italian buyer."""
    from tests.invoicing.flow import ADATUM_AMOUNTS, CONTOSO_AMOUNTS, both_formats, june_closed

    flow = june_closed()
    adatum = client_for(flow.admins["adatum"])
    text = _text(adatum.get(f"/billing/invoices/{flow.to_adatum.pk}/pdf/").content)
    assert "Total (EUR) €110.20" in text
    assert "€94.08" in text and "€28.22" in text and "-€12.10" in text
    for amount in both_formats(CONTOSO_AMOUNTS):
        assert amount not in text, amount

    northwind = client_for(flow.admins["northwind"])
    text = _text(northwind.get(f"/billing/invoices/{flow.from_contoso.pk}/pdf/").content)
    assert "Total (EUR) €91.84" in text
    for amount in both_formats(ADATUM_AMOUNTS):
        assert amount not in text, amount

    flow.to_adatum.language = "it"
    flow.to_adatum.save(update_fields=["language"])
    text = _text(adatum.get(f"/billing/invoices/{flow.to_adatum.pk}/pdf/").content)
    assert "Totale (EUR) 110,20 €" in text and "giugno 2026" in text.lower()
    for amount in both_formats(CONTOSO_AMOUNTS):
        assert amount not in text, amount
