"""The Billing page's CSV export: subscriptions with their cost, streamed. Rows are read as
plain values from a server-side cursor in chunks and written as they come, so memory stays
flat whether the organization has ten subscriptions or two hundred thousand. Amounts are
machine-readable (`1234.50`, with the currency in its own column), dates ISO, whatever the
reader's language."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _

from portal.csv_export import Echo, csv_safe

from .models import BillingFrequency, Subscription, Term
from .selectors import subscription_export_rows

CSV_CHUNK = 2000  # rows per server-side fetch
LINES_PER_WRITE = 500  # CSV lines joined into one piece of the response


def _headers() -> list[str]:
    return [
        _("Customer"),
        _("Reseller"),
        _("Provider"),
        _("Offer"),
        _("Quantity"),
        _("Term"),
        _("Billing frequency"),
        _("Status"),
        _("Currency"),
        _("Unit price per month"),
        _("Monthly cost"),
        _("Term end"),
    ]


def subscription_csv_lines(qs: QuerySet[Subscription]) -> Iterator[str]:
    """The header, then one line per subscription of `qs` (already filtered and ordered). The
    words are translated now, in the request's language: the lines are written later, while
    the response streams."""
    header = _headers()
    statuses: dict[str, str] = {k: str(v) for k, v in Subscription.Status.choices}
    terms: dict[str, str] = {k: str(v) for k, v in Term.choices}
    frequencies: dict[str, str] = {k: str(v) for k, v in BillingFrequency.choices}
    rows = subscription_export_rows(qs).iterator(chunk_size=CSV_CHUNK)
    return _lines(rows, header, statuses, terms, frequencies)


def _lines(
    rows: Iterator[dict[str, Any]],
    header: list[str],
    statuses: dict[str, str],
    terms: dict[str, str],
    frequencies: dict[str, str],
) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield writer.writerow(header)
    lines: list[str] = []
    for row in rows:
        term_end = row["term_end"]
        lines.append(
            writer.writerow(
                [
                    csv_safe(row["customer__legal_name"]),
                    csv_safe(row["reseller__legal_name"]),
                    csv_safe(row["provider__legal_name"]),
                    csv_safe(row["offer__name"]),
                    row["quantity"],
                    terms.get(row["term"], row["term"]),
                    frequencies.get(row["billing_frequency"], row["billing_frequency"]),
                    statuses.get(row["status"], row["status"]),
                    row["currency"],
                    row["unit_price"],
                    row["monthly_cost"],
                    term_end.date().isoformat() if term_end else "",
                ]
            )
        )
        if len(lines) >= LINES_PER_WRITE:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def subscription_csv_response(
    qs: QuerySet[Subscription], filename: str = "billing.csv"
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        subscription_csv_lines(qs), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
