"""The reconciliation file: one row per charge line of the organization's invoices for a
billed month and currency (or of its charges no invoice holds yet: the unbilled file), with the
Partner Center reconciliation columns that apply. Registered as a `portal.exports` kind, so a
file of up to PORTAL_EXPORT_STREAM_MAX_ROWS rows streams at once and a larger one is prepared
by a worker; either way rows come from a server-side cursor in chunks, so memory stays flat.

Column names and charge types are Partner Center's machine names (the same in every language,
so a reconciliation tool reads any partner's file); amounts are plain decimals (`1234.50`) and
dates ISO, as the portal's other exports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from itertools import islice
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _l

from portal.csv_export import csv_safe
from portal.exports import ExportKind, ExportSource, register_export
from portal.models import Organization
from portal.policy import Action

from . import selectors
from .models import Charge, Tier

CSV_CHUNK = 2000  # rows per server-side fetch (and per PartnerID look-up)
MEMO_SIZE = 20_000  # cell texts kept for the rows that follow

HEADER = (
    "PartnerId",
    "PartnerName",
    "MpnId",
    "BillToId",
    "BillToName",
    "ResellerMpnId",
    "CustomerId",
    "CustomerName",
    "CustomerDomainName",
    "CustomerCountry",
    "InvoiceNumber",
    "ChargeType",
    "ProductId",
    "ProductName",
    "SubscriptionId",
    "OrderDate",
    "ChargeDate",
    "ChargeStartDate",
    "ChargeEndDate",
    "Quantity",
    "UnitPrice",
    "Subtotal",
    "Total",
    "Currency",
)

# Partner Center's charge types for each kind of charge line.
CHARGE_TYPES: dict[str, str] = {
    Charge.Kind.PURCHASE: "new",
    Charge.Kind.QUANTITY_INCREASE: "addQuantity",
    Charge.Kind.QUANTITY_DECREASE: "removeQuantity",
    Charge.Kind.CANCELLATION: "cancelImmediately",
    Charge.Kind.RENEWAL: "renew",
    Charge.Kind.RECURRING: "cycleCharge",
    Charge.Kind.USAGE: "usage",
}


def _quantity(value: Decimal) -> int | Decimal:
    """`7` for 7.0000 seats, `1.5` for 1.5000 units of usage."""
    if value == value.to_integral_value():
        return int(value)
    return value.normalize()


def parse_period(value: str) -> date | str | None:
    """A `period` parameter: `unbilled` (the string), a month `YYYY-MM` (its first day), or
    None when it is neither."""
    if value == selectors.UNBILLED:
        return selectors.UNBILLED
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def reconciliation_source(organization: Organization, params: QueryDict) -> ExportSource:
    """The file of `organization` for the `period` and `currency` of `params` (validated by
    the page's form; an invalid pair selects nothing)."""
    period = parse_period(params.get("period", ""))
    currency = params.get("currency", "")
    if period is None or currency not in selectors.billing_currencies():
        qs = Charge.objects.none()
    else:
        qs = selectors.reconciliation_charges(
            organization=organization,
            period=None if period == selectors.UNBILLED else period,  # type: ignore[arg-type]
            currency=currency,
        )

    def rows() -> Iterator[list[Any]]:
        mpn_ids: dict[int, str] = {}
        # Names, numbers and days repeat from row to row: each cell's text is made once
        # (the memo is emptied past MEMO_SIZE entries, so memory stays bounded).
        memo: dict[Any, str] = {}

        def text(value: Any) -> str:
            found = memo.get(value)
            if found is None:
                if len(memo) > MEMO_SIZE:
                    memo.clear()
                found = memo[value] = (
                    value.isoformat() if isinstance(value, date) else csv_safe(value)
                )
            return found

        iterator = selectors.reconciliation_rows(qs).iterator(chunk_size=CSV_CHUNK)
        while chunk := list(islice(iterator, CSV_CHUNK)):
            unknown = {row[0] for row in chunk} | {row[2] for row in chunk}
            unknown -= mpn_ids.keys()
            if unknown:
                found = selectors.partner_ids(unknown)
                mpn_ids.update({org_id: found.get(org_id, "") for org_id in unknown})
            for row in chunk:
                (seller_id, seller_name, buyer_id, buyer_name, customer_id, customer_name) = row[:6]
                reseller_id = buyer_id if row[10] == Tier.PROVIDER else seller_id
                ordered = row[14]
                yield [
                    seller_id,
                    text(seller_name),
                    mpn_ids.get(seller_id, ""),
                    buyer_id,
                    text(buyer_name),
                    mpn_ids.get(reseller_id, ""),
                    customer_id,
                    text(customer_name),
                    text(row[6]),
                    row[7] or "",
                    text(row[8] or ""),
                    CHARGE_TYPES.get(row[9], row[9]),
                    text(row[11]),
                    text(row[12]),
                    row[13],
                    text(ordered.date()) if ordered else "",
                    text(row[15]),
                    text(row[16]),
                    text(row[17]),
                    _quantity(row[18]),
                    row[19],
                    row[20],
                    row[20],
                    row[21],
                ]

    return ExportSource(queryset=qs, header=HEADER, rows=rows)


def register_exports() -> None:
    register_export(
        ExportKind(
            name="reconciliation",
            title=_l("Reconciliation file"),
            filename="reconciliation.csv",
            list_url="invoicing:reconciliation",
            action=Action.VIEW_INVOICES,
            source=reconciliation_source,
        )
    )
