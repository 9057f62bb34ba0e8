"""The Billing and Subscriptions pages' CSV exports: subscriptions with their cost, through
`portal.exports` (streamed when small, prepared by a worker when large). Rows are read as plain
values from a server-side cursor in chunks and written as they come, so memory stays flat
whether the organization has ten subscriptions or two hundred thousand. Amounts are
machine-readable (`1234.50`, with the currency in its own column), dates ISO, whatever the
reader's language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from portal.csv_export import csv_safe
from portal.exports import ExportSource

from .billing import LIVE_STATUSES
from .models import BillingFrequency, Subscription, Term
from .selectors import subscription_export_rows
from .visibility import CUSTOMER

CSV_CHUNK = 2000  # rows per server-side fetch


def _headers(side: str) -> list[str]:
    sells = (
        []
        if side == CUSTOMER
        else [_("Price charged per unit per month"), _("Monthly price charged")]
    )
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
        *sells,  # last: the columns before keep their places whoever exports
    ]


def subscription_export_source(qs: QuerySet[Subscription], *, side: str) -> ExportSource:
    """The header, then one row per subscription of `qs` (already filtered and ordered). The
    words are translated now, in the request's (or the requester's) language: the rows are
    written later, while the response streams or the worker writes. The prices are those
    `side` (the exporting organization's side of every row) may see: its buy price, and for a
    partner its sell price (`commerce.visibility`)."""
    sells = side != CUSTOMER
    statuses: dict[str, str] = {k: str(v) for k, v in Subscription.Status.choices}
    terms: dict[str, str] = {k: str(v) for k, v in Term.choices}
    frequencies: dict[str, str] = {k: str(v) for k, v in BillingFrequency.choices}

    def rows() -> Iterator[list[Any]]:
        for row in subscription_export_rows(qs, side).iterator(chunk_size=CSV_CHUNK):
            term_end = row[11]
            live = row[7] in LIVE_STATUSES
            quantity = row[4]
            sell = [row[10], row[10] * quantity if live else ""] if sells else []
            yield [
                csv_safe(row[0]),
                csv_safe(row[1]),
                csv_safe(row[2]),
                csv_safe(row[3]),
                row[4],
                terms.get(row[5], row[5]),
                frequencies.get(row[6], row[6]),
                statuses.get(row[7], row[7]),
                row[8],
                row[9],
                # A cancelled or expired subscription costs nothing a month: an empty cell, so a
                # column sum in a spreadsheet matches Billing's live totals.
                row[9] * quantity if live else "",
                term_end.date().isoformat() if term_end else "",
                *sell,
            ]

    return ExportSource(queryset=qs, header=_headers(side), rows=rows)
