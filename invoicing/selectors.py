"""Reads of invoices and charges, always from one organization's side: an organization sees
the invoices it issued (it is the seller) and those it received (the buyer), and the charge
lines of those invoices, never another tier's. A provider never sees its reseller's prices to
the customer; a customer never sees its reseller's cost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from enrollment.models import LegalProfile, PartnerId
from portal.models import Market, Organization
from portal.sqlmemo import memo_rows

from .models import BillingPeriod, Charge, Invoice, UsageImport, UsageImportRow

ISSUED = "issued"
RECEIVED = "received"
UNBILLED = "unbilled"  # the reconciliation file of the charges no invoice holds yet


def _sides(organization: Organization, direction: str = "") -> Q:
    if direction == ISSUED:
        return Q(seller=organization)
    if direction == RECEIVED:
        return Q(buyer=organization)
    return Q(seller=organization) | Q(buyer=organization)


def invoice_list(
    *,
    organization: Organization,
    direction: str = "",
    period: date | None = None,
    currency: str = "",
) -> list[QuerySet[Invoice]]:
    """The invoices `organization` issued or received (`direction` narrows to one side), with
    both parties joined, as one queryset per side: each is read by its own index in the keyset
    order (issued_at, id) and the page merges them (`portal.paging.keyset_page_merged`). One
    queryset of `seller OR buyer` read neither index: every invoice of the organization was
    scanned and sorted for each page (50 ms at 62,000 invoices). No invoice is on both sides."""
    return [
        _side_invoices(organization, side, period, currency).select_related("seller", "buyer")
        for side in _directions(direction)
    ]


def _directions(direction: str) -> list[str]:
    return [ISSUED, RECEIVED] if direction not in (ISSUED, RECEIVED) else [direction]


def _side_invoices(
    organization: Organization, side: str, period: date | None, currency: str
) -> QuerySet[Invoice]:
    qs = Invoice.objects.filter(_sides(organization, side))
    if period is not None:
        qs = qs.filter(period=period)
    if currency:
        qs = qs.filter(currency=currency)
    return qs


# What a row of the invoice list reads (invoicing/templatetags/invoicing_rows.py), one named
# tuple a row: 25 invoices with both parties were 75 model instances a side. `pk` and
# `issued_at` are the keyset page's cursor.
INVOICE_ROW_COLUMNS = (
    "pk",
    "issued_at",
    "number",
    "period",
    "seller_id",
    "seller__legal_name",
    "buyer__legal_name",
    "lines",
    "total",
    "currency",
)


def invoice_row_parts(
    *,
    organization: Organization,
    direction: str = "",
    period: date | None = None,
    currency: str = "",
) -> list[Callable[[], QuerySet[Any]]]:
    """`invoice_list` as functions building each side's named tuples (`INVOICE_ROW_COLUMNS`)
    from the arguments alone, for `keyset_page_merged(memo_key=...)`: each side's SQL is
    compiled once per organization and filters."""

    def part(side: str) -> Callable[[], QuerySet[Any]]:
        return lambda: _side_invoices(organization, side, period, currency).values_list(
            *INVOICE_ROW_COLUMNS, named=True
        )

    return [part(side) for side in _directions(direction)]


def invoice_for(*, organization: Organization, invoice_id: int) -> Invoice | None:
    """One invoice `organization` issued or received; None for any other (the view's 404)."""
    return (
        Invoice.objects.filter(_sides(organization), pk=invoice_id)
        .select_related("seller", "buyer", "seller__country", "buyer__country")
        .first()
    )


def invoice_lines(invoice: Invoice) -> QuerySet[Charge]:
    """The invoice's charge lines, by subscription then day (the subscription's offer and
    customer joined)."""
    return (
        Charge.objects.filter(invoice=invoice)
        .select_related("offer", "customer")
        .order_by("subscription_id", "charge_date", "pk")
    )


def legal_details(organization: Organization) -> dict[str, Any]:
    """What an invoice says of a party: its legal name, address and identifiers (the
    enrolment's legal profile when it has one, else the account's name and country), and the
    PartnerID associated with its account."""
    profile = (
        LegalProfile.objects.select_related("country").filter(organization=organization).first()
    )
    mpn_id = (
        PartnerId.objects.filter(organization=organization, is_associated=True)
        .values_list("mpn_id", flat=True)
        .first()
    )
    country = organization.country
    details: dict[str, Any] = {
        "legal_name": organization.legal_name,
        "address": [],
        "country": country.display_name if country else "",
        "country_code": country.code if country else "",
        "registration_id": "",
        "mpn_id": mpn_id or "",
        "email": "",
    }
    if profile is not None:
        city = " ".join(part for part in (profile.postal_code, profile.city) if part)
        details.update(
            legal_name=profile.legal_name,
            address=[
                line
                for line in (profile.address_line1, profile.address_line2, city, profile.state)
                if line
            ],
            country=profile.country.display_name,
            country_code=profile.country.code,
            registration_id=profile.registration_id,
            email=profile.support_email,
        )
    return details


def invoice_periods(*, organization: Organization) -> list[date]:
    """The closed months in which `organization` issued or received an invoice, newest first
    (one small query: a month has one BillingPeriod row)."""

    def on(side: str) -> Exists:
        return Exists(Invoice.objects.filter(_sides(organization, side), period=OuterRef("period")))

    # A probe per closed month and side (the (seller, period) and (buyer, period) indexes),
    # not a scan of every invoice of the organization.
    def build(_cursor: Any) -> QuerySet[Any]:
        return (
            BillingPeriod.objects.filter(status=BillingPeriod.Status.CLOSED)
            .filter(on(ISSUED) | on(RECEIVED))
            .order_by("-period")
            .values_list("period", named=True)
        )

    # Its SQL compiled once per organization (`portal.sqlmemo`): building the two subqueries
    # was ~1 ms of the invoice list's CPU.
    key = ("invoicing.invoice_periods", organization.pk)
    return [row.period for row in memo_rows(key, build, None)]


def billing_currencies() -> list[str]:
    """Every currency a market bills in (a handful of rows)."""
    return sorted(set(Market.objects.values_list("currency", flat=True)))


def current_period() -> date:
    return timezone.localdate().replace(day=1)


def reconciliation_charges(
    *, organization: Organization, period: date | None, currency: str
) -> QuerySet[Charge]:
    """The charge lines of `organization`'s reconciliation file: those of the invoices it
    issued or received for `period` and `currency` (the billed file), or, with `period` None,
    its charges no invoice holds yet (the unbilled file). Either way only the lines where it
    is the seller or the buyer: the other tier's prices never appear."""
    if period is None:
        qs = Charge.objects.filter(_sides(organization), invoice__isnull=True, currency=currency)
    else:
        invoices = Invoice.objects.filter(
            _sides(organization), period=period, currency=currency
        ).values("pk")
        # Invoice by invoice, each in the order its charges were written: the (invoice, id)
        # index serves it, with no sort of the whole file.
        return Charge.objects.filter(invoice__in=invoices).order_by("invoice_id", "pk")
    return qs.order_by("charge_date", "pk")


RECONCILIATION_FIELDS = (
    "seller_id",
    "seller__legal_name",
    "buyer_id",
    "buyer__legal_name",
    "customer_id",
    "customer__legal_name",
    "customer__primary_domain",
    "customer__country_id",
    "invoice__number",
    "kind",
    "tier",
    "offer__code",
    "offer__name",
    "subscription_id",
    "subscription__purchased_at",
    "charge_date",
    "service_start",
    "service_end",
    "quantity",
    "unit_price",
    "amount",
    "currency",
)


def reconciliation_rows(qs: QuerySet[Charge]) -> QuerySet[Any]:
    """Plain tuples of RECONCILIATION_FIELDS, for a server-side cursor."""
    return qs.values_list(*RECONCILIATION_FIELDS)


def partner_ids(organization_ids: set[int]) -> dict[int, str]:
    """The associated PartnerID (MPN ID) of each organization, one query."""
    found: dict[int, str] = {}
    for org_id, mpn_id in (
        PartnerId.objects.filter(organization_id__in=organization_ids, is_associated=True)
        .order_by("pk")
        .values_list("organization_id", "mpn_id")
    ):
        found.setdefault(org_id, mpn_id)
    return found


# --- usage files ---------------------------------------------------------------------------------


def usage_imports_of(*, organization: Organization) -> QuerySet[UsageImport]:
    """The provider's uploaded usage files, newest first (its (organization, created_at, id)
    index)."""
    return UsageImport.objects.filter(organization=organization).order_by("-created_at", "-pk")


def usage_import_of(*, organization: Organization, import_id: int) -> UsageImport | None:
    """One of the organization's usage files; another tenant's is None (the page's 404)."""
    return UsageImport.objects.filter(organization=organization, pk=import_id).first()


def usage_import_problems(*, upload: UsageImport) -> QuerySet[UsageImportRow]:
    """The rows not imported (an error in the file, or refused by the import's rules)."""
    return UsageImportRow.objects.filter(
        usage_import=upload,
        status__in=(UsageImportRow.Status.INVALID, UsageImportRow.Status.REFUSED),
    ).order_by("line")
