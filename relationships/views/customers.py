"""Customers: the reseller's own and those shared with a provider."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _l
from django.views import View

from portal.countries import country_name
from portal.forms import clean_query_text
from portal.policy import Action, can
from portal.tenancy import TenantViewMixin

from .. import selectors
from ..lists import Column, ListPage
from ._base import Kind, iso_date

SUGGESTIONS = 10


class CustomersView(TenantViewMixin, ListPage, View):
    page_memo = True  # served again while nothing it read changed (portal/pagememo.py)
    required_action = Action.VIEW_CUSTOMERS
    template_name = "relationships/customers.html"
    export_kind = "customers"

    @property
    def is_provider(self) -> bool:
        return self.organization.kind == Kind.PROVIDER

    @property
    def partner_field(self) -> str:
        """The other partner on each row: the reseller (provider's view) or the provider."""
        return "reseller" if self.is_provider else "provider"

    @property
    def search_relations(self):  # type: ignore[override]
        return ("customer", self.partner_field)

    @property
    def sort_options(self):  # type: ignore[override]
        partner = self.partner_field
        return {
            "partner": (
                _l("Reseller (A to Z)") if self.is_provider else _l("Provider (A to Z)"),
                (f"{partner}__legal_name", "customer__legal_name"),
            ),
            "name": (_l("Customer (A to Z)"), ("customer__legal_name",)),
            "-name": (_l("Customer (Z to A)"), ("-customer__legal_name",)),
            "-since": (_l("Newest first"), ("-created_at", "-pk")),
        }

    @property
    def index_order(self):  # type: ignore[override]
        return ("-created_at", "-pk") if self.is_provider else None

    @property
    def default_sort(self) -> str:  # type: ignore[override]
        # A provider's customers come newest first, read straight from the partial index
        # (provider, created_at) WHERE active, whatever their number; sorting 200,000 rows by
        # reseller name on every visit is what made the page take seconds. Grouped by reseller
        # stays one choice away (cheap once filtered by one reseller). A reseller's own
        # customers are few enough to group by provider by default.
        return "-since" if self.is_provider else "partner"

    @property
    def csv_columns(self):  # type: ignore[override]
        partner = self.partner_field
        return [
            Column(_l("Customer"), "customer__legal_name"),
            Column(_l("Country"), "customer__country_id", country_name, repeats=True),
            Column(
                _l("Reseller") if self.is_provider else _l("Shared with provider"),
                f"{partner}__legal_name",
            ),
            Column(_l("Since"), "created_at", iso_date),
        ]

    def base_queryset(self):
        return selectors.customers_for(organization=self.organization)

    @property
    def memo_fields(self):  # type: ignore[override]
        """What `{% customer_rows %}` reads (`ListPage.memo_page`)."""
        partner = self.partner_field
        return (
            "customer_id",
            "customer__legal_name",
            "customer__country_id",
            "customer__country__name",
            f"{partner}_id",
            f"{partner}__legal_name",
            "created_at",
        )

    def memo_row(self, row: Any) -> SimpleNamespace:
        code = row.customer__country_id
        partner = self.partner_field
        return SimpleNamespace(
            customer_id=row.customer_id,
            customer=SimpleNamespace(
                legal_name=row.customer__legal_name,
                # As `Market.__str__` names it.
                country=country_name(code, row.customer__country__name) if code else None,
            ),
            created_at=row.created_at,
            **{
                f"{partner}_id": getattr(row, f"{partner}_id"),
                partner: SimpleNamespace(legal_name=getattr(row, f"{partner}__legal_name")),
            },
        )

    def partner_filter(self) -> int | None:
        try:
            return int(self.request.GET.get(self.partner_field) or 0) or None
        except ValueError:
            return None

    def partner_term(self) -> str:
        """The typed partner filter: part of the reseller's (provider's) name."""
        return clean_query_text(self.request.GET.get(f"{self.partner_field}_q", ""))

    def is_searched(self) -> bool:
        return bool(self.search_term() or self.partner_term())

    def filter_queryset(self, qs):
        term = self.partner_term()
        return selectors.customers_with_partner(
            qs,
            partner_field=self.partner_field,
            partner_id=self.partner_filter(),
            term=term,
            matching_ids=self.organizations_matching(term) if term else None,
        )

    def extra_context(self) -> dict[str, Any]:
        partner_id = self.partner_filter()
        term = self.partner_term()
        return {
            "is_provider": self.is_provider,
            "can_invite": can(self.membership, Action.INVITE_CUSTOMER),
            "partner_field": self.partner_field,
            "partner_id": partner_id,
            "partner": (
                selectors.partner_of(organization=self.organization, partner_id=partner_id)
                if partner_id
                else None
            ),
            "partner_term": term,
            # Without JavaScript, the typed filter's matches are listed on the page itself.
            "suggestions": self.suggestions(term) if term and not partner_id else None,
        }

    def suggestions(self, term: str) -> dict[str, Any]:
        params = self.request.GET.copy()
        for key in ("page", "format", f"{self.partner_field}_q", self.partner_field):
            params.pop(key, None)
        return {
            "partners": selectors.partners_matching(
                organization=self.organization,
                term=term,
                ids=self.organizations_matching(term),
                limit=SUGGESTIONS,
            ),
            "term": term,
            "limit": SUGGESTIONS,
            "partner_field": self.partner_field,
            "is_provider": self.is_provider,
            "keep_query": params.urlencode(),
        }

    def get(
        self, request: HttpRequest, export: bool = False
    ) -> HttpResponse | StreamingHttpResponse:
        return self.render_list(request)


class CustomerPartnersView(CustomersView):
    """Search-as-you-type for the Customers page's reseller (provider) filter: an HTML fragment
    of at most SUGGESTIONS links, fetched by htmx while typing. Without JavaScript the same list
    is part of the Customers page after Apply."""

    def get(self, request: HttpRequest, export: bool = False) -> HttpResponse:
        return render(
            request,
            "relationships/_partner_suggestions.html",
            self.suggestions(self.partner_term()),
        )


class CustomerDetailView(TenantViewMixin, View):
    required_action = Action.VIEW_CUSTOMERS

    def _shared(self, customer_id: int):
        rows = selectors.customer_rows(organization=self.organization, customer_id=customer_id)
        if not rows:
            raise Http404
        return rows

    def get(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        rows = self._shared(customer_id)
        # Orders and subscriptions live in commerce: the page links to them by URL name.
        return render(
            request,
            "relationships/customer_detail.html",
            {
                "customer": rows[0].customer,
                "rows": rows,
                "is_provider": self.organization.kind == Kind.PROVIDER,
            },
        )
