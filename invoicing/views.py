"""The invoices the organization issued and received, one invoice (its page and its PDF) and
the reconciliation files. Global and Billing admins of providers, resellers and customers
(`Action.VIEW_INVOICES`); an invoice the organization neither issued nor received is a 404.

The list costs a fixed number of queries whatever its size: the filter choices (the months the
organization has invoices in, the markets' currencies) and one keyset page along the seller's
or buyer's (issued_at, id) index with both parties joined."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views import View

from commerce.currency import order_currency
from portal.dbrouter import ReplicaReadsMixin
from portal.exports import export_response
from portal.paging import keyset_page_merged
from portal.policy import Action
from portal.tenancy import TenantViewMixin

from . import selectors
from .exports import parse_period, reconciliation_source
from .forms import InvoiceFilterForm, ReconciliationForm
from .models import Invoice
from .pdf import invoice_line_groups, invoice_pdf, kind_labels, period_label

PAGE_SIZE = 25
LINE_GROUPS_PER_PAGE = 100


class _InvoiceView(TenantViewMixin, ReplicaReadsMixin, View):
    required_action = Action.VIEW_INVOICES

    def invoice_or_404(self, pk: int) -> Invoice:
        invoice = selectors.invoice_for(organization=self.organization, invoice_id=pk)
        if invoice is None:
            raise Http404
        return invoice


class InvoiceListView(_InvoiceView):
    """/billing/invoices/: newest first, filtered by direction, period and currency."""

    page_memo = True  # served again while nothing it read changed (portal/pagememo.py)

    def get(self, request: HttpRequest) -> HttpResponse:
        form = InvoiceFilterForm(
            request.GET or None,
            periods=selectors.invoice_periods(organization=self.organization),
            currencies=selectors.billing_currencies(),
        )
        filters: dict[str, Any] = {}
        if form.is_bound and form.is_valid():
            filters = {key: value for key, value in form.cleaned_data.items() if value}
        direction = filters.get("direction", "")
        period = parse_period(filters["period"]) if "period" in filters else None
        currency = filters.get("currency", "")
        # Named tuples, each side's SQL compiled once per organization and filters.
        parts = selectors.invoice_row_parts(
            organization=self.organization,
            direction=direction,
            period=period,  # type: ignore[arg-type]
            currency=currency,
        )
        page = keyset_page_merged(
            parts,
            field_name="issued_at",
            descending=True,
            size=PAGE_SIZE,
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
            memo_key=("invoicing.invoices", self.organization.pk, direction, period, currency),
        )
        return render(
            request,
            "invoicing/invoice_list.html",
            {
                "form": form,
                "page": page,
                "filtered": bool(filters),
                "query_string": urlencode(sorted(filters.items())),
                "organization": self.organization,
            },
        )


class InvoiceDetailView(_InvoiceView):
    """/billing/invoices/<id>/: both parties' legal details, the lines (summed per
    subscription, kind and unit price; pages of whole subscriptions) and the total."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = self.invoice_or_404(pk)
        after = request.GET.get("after", "")
        groups = invoice_line_groups(invoice)
        if after.isdigit():
            groups = groups.filter(subscription_id__gt=int(after))
        rows = list(groups[: LINE_GROUPS_PER_PAGE + 1])
        next_cursor = ""
        if len(rows) > LINE_GROUPS_PER_PAGE:
            # Pages end with a whole subscription (one has a few groups, far fewer than a page).
            cut = rows[LINE_GROUPS_PER_PAGE]["subscription_id"]
            rows = [row for row in rows[:LINE_GROUPS_PER_PAGE] if row["subscription_id"] != cut]
            next_cursor = str(rows[-1]["subscription_id"])
        labels = kind_labels()
        for row in rows:
            row["kind_label"] = labels.get(row["kind"], row["kind"])
        return render(
            request,
            "invoicing/invoice_detail.html",
            {
                "invoice": invoice,
                "period": period_label(invoice.period),
                "issued": invoice.seller_id == self.organization.pk,
                "seller": selectors.legal_details(invoice.seller),
                "buyer": selectors.legal_details(invoice.buyer),
                "lines": rows,
                "next_cursor": next_cursor,
                "first_page": not after,
            },
        )


class InvoicePdfView(_InvoiceView):
    """/billing/invoices/<id>/pdf/: the invoice as a PDF, in the invoice's language."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = self.invoice_or_404(pk)
        pdf = invoice_pdf(
            invoice,
            seller=selectors.legal_details(invoice.seller),
            buyer=selectors.legal_details(invoice.buyer),
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        filename = "".join(c if c.isalnum() or c in "-_" else "-" for c in invoice.number)
        response["Content-Disposition"] = f'inline; filename="invoice-{filename}.pdf"'
        return response


class ReconciliationView(_InvoiceView):
    """/billing/reconciliation/: choose a closed month (billed) or the current period
    (unbilled) and a currency; the form downloads the file (`ReconciliationExportView`)."""

    page_memo = True  # the form and a small file served again (portal/pagememo.py)

    def form(self, request: HttpRequest) -> ReconciliationForm:
        return ReconciliationForm(
            request.GET or None,
            periods=selectors.invoice_periods(organization=self.organization),
            currencies=selectors.billing_currencies(),
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        form = self.form(request)
        if not form.is_bound:
            # The organization's own market's currency first.
            form.initial = {"currency": order_currency(self.organization) or ""}
        return render(
            request,
            "invoicing/reconciliation.html",
            {"form": form, "current_period": period_label(selectors.current_period())},
        )


class ReconciliationExportView(ReconciliationView):
    """/billing/reconciliation/export.csv?period=YYYY-MM|unbilled&currency=EUR: the file
    (streamed when small, else offered as a background export: `portal.exports`); an invalid
    choice shows the form again with its errors."""

    def get(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:  # type: ignore[override]
        form = self.form(request)
        if not form.is_valid():
            return render(
                request,
                "invoicing/reconciliation.html",
                {"form": form, "current_period": period_label(selectors.current_period())},
                status=400,
            )
        return export_response(
            request,
            kind_name="reconciliation",
            source=reconciliation_source(self.organization, request.GET),
        )
