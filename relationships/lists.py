"""Search, sort, pagination, counts and CSV export shared by the relationship lists."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.forms import clean_query_text


class ListPage:
    """A view mixin: subclasses set the queryset, search fields, sort options and CSV columns."""

    template_name: str
    paginate_by = 25
    search_fields: tuple[str, ...] = ()
    # sort key -> (label, order_by fields)
    sort_options: dict[str, tuple[Any, tuple[str, ...]]] = {}
    default_sort: str = ""
    csv_filename = "export.csv"
    csv_columns: list[tuple[Any, Callable[[Any], Any]]] = []

    request: HttpRequest
    kwargs: dict[str, Any]

    def base_queryset(self) -> QuerySet:
        raise NotImplementedError

    def filter_queryset(self, qs: QuerySet) -> QuerySet:
        return qs

    def extra_context(self) -> dict[str, Any]:
        return {}

    def search_term(self) -> str:
        return clean_query_text(self.request.GET.get("q", ""))

    def sort_key(self) -> str:
        sort = self.request.GET.get("sort", "")
        return sort if sort in self.sort_options else self.default_sort

    def queryset(self) -> QuerySet:
        qs = self.filter_queryset(self.base_queryset())
        term = self.search_term()
        if term and self.search_fields:
            condition = Q()
            for field in self.search_fields:
                condition |= Q(**{f"{field}__icontains": term})
            qs = qs.filter(condition)
        return qs.order_by(*self.sort_options[self.sort_key()][1], "pk")

    def wants_csv(self) -> bool:
        return bool(self.kwargs.get("export")) or self.request.GET.get("format") == "csv"

    def csv_response(self, qs: QuerySet) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.csv_filename}"'
        writer = csv.writer(response)
        writer.writerow([str(header) for header, _value in self.csv_columns])
        for row in qs.iterator(chunk_size=500):
            writer.writerow([_csv_safe(value(row)) for _header, value in self.csv_columns])
        return response

    def query_string(self) -> str:
        params = self.request.GET.copy()
        for key in ("page", "format"):
            params.pop(key, None)
        return params.urlencode()

    def render_list(self, request: HttpRequest, **context: Any) -> HttpResponse:
        qs = self.queryset()
        if self.wants_csv():
            return self.csv_response(qs)
        page = Paginator(qs, self.paginate_by).get_page(request.GET.get("page"))
        query = self.query_string()
        export_query = f"{query}&format=csv" if query else "format=csv"
        return render(
            request,
            self.template_name,
            {
                "page": page,
                "rows": page.object_list,
                "q": self.search_term(),
                "sort": self.sort_key(),
                "sort_choices": [(key, label) for key, (label, _f) in self.sort_options.items()],
                "query_string": query,
                "export_query": export_query,
                **self.extra_context(),
                **context,
            },
        )


def _csv_safe(value: Any) -> str:
    """Keep spreadsheet programs from running a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
