"""The Subscriptions and Billing lists and their CSV exports.

Each page costs a fixed number of queries whatever the organization's size: the filtered
subscriptions are one keyset page read along an index in (purchased_at, id) order; the Billing
page's totals are running totals (`BillingTotal`), one small read for the currencies and one
keyset page of per-customer rows; a customer-name search tests each subscription's own copy
of the name, and adds one trigram look-up for the per-customer totals; a `?customer=` filter
one look-up of the customer's name."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views import View

from portal.dbrouter import ReplicaReadsMixin
from portal.exports import ExportSource, export_response
from portal.models import Organization
from portal.paging import KeysetPage, decode_id_cursor, encode_id_cursor, keyset_page
from portal.policy import Action, can
from portal.tenancy import TenantViewMixin

from . import selectors
from .exports import subscription_export_source
from .forms_lists import BillingFilterForm, SubscriptionFilterForm, applied_filters
from .visibility import CUSTOMER

PAGE_SIZE = 25
CUSTOMER_PAGE_SIZE = 25
CUSTOMERS_CURSOR = "customers_"  # the per-customer table's after/before parameters


def _query_string(request: HttpRequest, form_fields: Any) -> str:
    """The filters to keep in pagination links (never another list's cursor)."""
    return urlencode(
        [(key, value) for key, value in request.GET.items() if key in form_fields and value]
    )


class _SubscriptionFilters:
    """What the two pages share: the organization's side, the customer filters applied to a
    selector (a typed name through the trigram index, or one customer's id)."""

    organization: Organization
    membership: Any

    @property
    def price_side(self) -> str:
        """Whose prices the lists and exports show (`commerce.visibility`)."""
        return selectors.subscription_side(self.organization) or CUSTOMER

    @property
    def is_customer(self) -> bool:
        return self.organization.kind == Organization.Kind.CUSTOMER

    def customer_filters(self, filters: dict[str, Any]) -> dict[str, Any]:
        """The subscriptions' customer filters: one customer, a typed name (matched on each
        subscription's own copy of the customer's name: `selectors.subscription_list`)."""
        term = filters.get("q") or ""
        found: dict[str, Any] = {"customer_id": filters.get("customer"), "customer_term": term}
        if term:
            found["read_all"] = selectors.has_few_subscriptions(organization=self.organization)
        return found

    def customer_total_filters(self, filters: dict[str, Any]) -> dict[str, Any]:
        """The per-customer totals' customer filters: one customer, or the customers whose
        name contains the typed term (one trigram look-up; the name through a join when too
        many match to list their ids)."""
        term = filters.get("q") or ""
        found: dict[str, Any] = {"customer_id": filters.get("customer")}
        if term:
            ids = selectors.customers_matching(term)
            if ids is None:
                found["customer_term"] = term
            else:
                found["customer_ids"] = ids
        return found

    def filter_context(self, filters: dict[str, Any]) -> dict[str, Any]:
        customer_id = filters.get("customer")
        return {
            "customer": (
                selectors.visible_customer(organization=self.organization, customer_id=customer_id)
                if customer_id
                else None
            ),
            "customer_filter_id": customer_id,
            "is_customer": self.is_customer,
            # The customer's page in the partner's Customers list (Sales and Admin agents).
            "can_view_customers": can(self.membership, Action.VIEW_CUSTOMERS),
        }

    def memo_key(self, name: str, filters: dict[str, Any]) -> tuple[Any, ...]:
        """What a list's queryset is built from (`portal.sqlmemo`): the organization (its id
        keeps one tenant's SQL from serving another) and the filters' values, a list of
        matching customers' ids among them."""
        values = tuple(
            (key, tuple(value) if isinstance(value, list) else value)
            for key, value in sorted(filters.items())
        )
        return (name, self.organization.pk, self.organization.kind, values)

    def subscription_page(self, request: HttpRequest, filters: dict[str, Any]) -> KeysetPage:
        """The table's keyset page as named tuples, its SQL compiled once per organization and
        filters (~1 ms of ORM work a page: issue 21)."""
        organization = self.organization
        return keyset_page(
            lambda: selectors.subscription_rows(organization=organization, **filters),
            memo_key=self.memo_key("subscriptions", filters),
            field_name="purchased_at",
            descending=True,
            size=PAGE_SIZE,
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
        )


class SubscriptionListView(_SubscriptionFilters, TenantViewMixin, ReplicaReadsMixin, View):
    """/subscriptions/: the subscriptions the organization may see, newest purchase first."""

    page_memo = True  # served again while nothing it read changed (portal/pagememo.py)

    required_action = Action.VIEW_SUBSCRIPTIONS
    template_name = "commerce/subscriptions.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = SubscriptionFilterForm(request.GET or None, customer_search=not self.is_customer)
        filters = applied_filters(form)
        rows = {"status": filters.get("status") or "", **self.customer_filters(filters)}
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "page": self.subscription_page(request, rows),
                "query_string": _query_string(request, form.fields),
                "filtered": bool(filters),
                **self.filter_context(filters),
            },
        )


class BillingView(_SubscriptionFilters, TenantViewMixin, ReplicaReadsMixin, View):
    """/billing/: totals by currency, totals per customer and the subscriptions with their
    monthly cost; the same filters drive the CSV export (`BillingExportView`)."""

    page_memo = True  # served again while nothing it read changed (portal/pagememo.py)

    required_action = Action.VIEW_BILLING
    template_name = "commerce/billing.html"

    def filters(self, request: HttpRequest, currencies: list[str]):
        form = BillingFilterForm(
            request.GET or None, currencies=currencies, customer_search=not self.is_customer
        )
        return form, applied_filters(form)

    def subscription_filters(self, filters: dict[str, Any]) -> dict[str, Any]:
        """The subscriptions' filters: status, currency and the customer."""
        return {
            "status": filters.get("status") or "",
            "currency": filters.get("currency") or "",
            **self.customer_filters(filters),
        }

    def subscriptions(self, filters: dict[str, Any]):
        return selectors.subscription_list(
            organization=self.organization, **self.subscription_filters(filters)
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        totals = selectors.billing_totals_by_currency(organization=self.organization)
        form, filters = self.filters(request, [total.currency for total in totals])
        rows = self.subscription_filters(filters)
        customer_totals = None
        if not self.is_customer:
            # A customer's only customer is itself: its totals are the currency totals.
            organization = self.organization
            per_customer = {
                "currency": rows["currency"],
                **self.customer_total_filters(filters),
            }
            after = request.GET.get(f"{CUSTOMERS_CURSOR}after", "")
            customer_totals = keyset_page(
                lambda: selectors.billing_total_rows(organization=organization, **per_customer),
                # The first page's SQL compiled once (`portal.sqlmemo` replays a cursor of a
                # moment and an id, not this list's customer id and currency).
                memo_key=None if after else self.memo_key("billing_totals", per_customer),
                field_name="customer_id",
                tie_field="currency",
                descending=False,
                size=CUSTOMER_PAGE_SIZE,
                after=after,
                before=request.GET.get(f"{CUSTOMERS_CURSOR}before", ""),
                encode=encode_id_cursor,
                decode=decode_id_cursor,
            )
        query = _query_string(request, form.fields)
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "totals": totals,
                "customer_totals": customer_totals,
                "customers_cursor": CUSTOMERS_CURSOR,
                "page": self.subscription_page(request, rows),
                "query_string": query,
                "export_query": query,
                "can_manage_price_lists": can(self.membership, Action.MANAGE_PRICE_LISTS),
                "filtered": bool(filters),
                **self.filter_context(filters),
            },
        )


class BillingExportView(BillingView):
    """/billing/export.csv: every subscription the Billing page's filters select (streamed when
    small, else offered as a background export: `portal.exports`)."""

    def export_source(self, request: HttpRequest) -> ExportSource:
        # The currency filter is checked against the organization's currencies, as on the page.
        totals = selectors.billing_totals_by_currency(organization=self.organization)
        _form, filters = self.filters(request, [total.currency for total in totals])
        qs = self.subscriptions(filters).order_by("-purchased_at", "-pk")
        return subscription_export_source(qs, side=self.price_side)

    def get(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:  # type: ignore[override]
        return export_response(request, kind_name="billing", source=self.export_source(request))


class SubscriptionExportView(SubscriptionListView):
    """/subscriptions/export.csv: every subscription the Subscriptions page's filters select,
    newest purchase first, with the Billing export's columns."""

    def export_source(self, request: HttpRequest) -> ExportSource:
        form = SubscriptionFilterForm(request.GET or None, customer_search=not self.is_customer)
        filters = applied_filters(form)
        qs = selectors.subscription_list(
            organization=self.organization,
            status=filters.get("status") or "",
            **self.customer_filters(filters),
        ).order_by("-purchased_at", "-pk")
        return subscription_export_source(qs, side=self.price_side)

    def get(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:  # type: ignore[override]
        return export_response(
            request, kind_name="subscriptions", source=self.export_source(request)
        )
