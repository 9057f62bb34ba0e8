"""An invoice as a PDF (WeasyPrint), in the invoice's language (the buyer's when it was issued):
the seller's and the buyer's legal details, the lines grouped per subscription, kind of charge
and unit price, and the total, with numbers and dates written as the pages write them in that
language. Fonts are the machine's (DejaVu, from Debian): nothing is fetched while rendering, so
a PDF never waits on, nor leaks anything to, another server."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Max, Min, QuerySet, Sum
from django.template.loader import render_to_string
from django.utils import translation

from portal.countries import country_name
from portal.templatetags.portal_formats import local_date

from .models import Charge, Invoice


def period_label(period: date) -> str:
    """ "December 2026" / "dicembre 2026" in the active language."""
    return local_date(period, "YEAR_MONTH_FORMAT")


def invoice_line_groups(invoice: Invoice) -> QuerySet[Any]:
    """The invoice's charges summed per subscription, kind and unit price (a month of daily
    usage is one line), in subscription order: what the page and the PDF list. Their amounts
    add up to the invoice's total."""
    return (
        Charge.objects.filter(invoice=invoice)
        .values(
            "subscription_id",
            "offer__name",
            "offer__code",
            "customer__legal_name",
            "kind",
            "unit_price",
        )
        .annotate(
            quantity=Sum("quantity"),
            amount=Sum("amount"),
            service_start=Min("service_start"),
            service_end=Max("service_end"),
            charges=Count("pk"),
        )
        .order_by("subscription_id", "kind", "unit_price")
    )


def kind_labels() -> dict[str, str]:
    return {key: str(label) for key, label in Charge.Kind.choices}


def invoice_pdf(invoice: Invoice, *, seller: dict[str, Any], buyer: dict[str, Any]) -> bytes:
    """The PDF of `invoice`; `seller` and `buyer` are `selectors.legal_details`."""
    # A heavy import, paid by the PDF's request only.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    with translation.override(invoice.language):
        # The parties' countries named in the invoice's language, not the reader's.
        seller, buyer = (
            {**party, "country": country_name(party["country_code"], party["country"])}
            for party in (seller, buyer)
        )
        labels = kind_labels()
        lines = [
            {**line, "kind_label": labels.get(line["kind"], line["kind"])}
            for line in invoice_line_groups(invoice)
        ]
        html = render_to_string(
            "invoicing/invoice_pdf.html",
            {
                "invoice": invoice,
                "period": period_label(invoice.period),
                "seller": seller,
                "buyer": buyer,
                "lines": lines,
                "language": invoice.language,
            },
        )
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
