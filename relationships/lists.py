"""Search, sort, pagination, counts and CSV export shared by the relationship lists.

Every list page costs a fixed number of queries whatever the tenant's size: a capped count
(`portal.paging`), one page of rows, and whatever a view adds for *the page's* rows
(`complete_rows`, e.g. the shared-customer counts). CSV exports go through `portal.exports`:
rows are read with `.values()` in server-side chunks and written as they come, so memory stays
flat; a small export streams, a large one is prepared by a worker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render

from portal.csv_export import csv_safe
from portal.dbrouter import ReplicaReadsMixin
from portal.exports import ExportSource, export_response
from portal.forms import clean_query_text
from portal.models import Organization
from portal.paging import COUNT_CAP, bounded_page

from . import selectors

CSV_BATCH = 2000  # rows read per server-side fetch, and per `complete_csv_rows` call


@dataclass(frozen=True)
class Column:
    """One CSV column: its header, the `.values()` path it reads (or, when `computed`, the key a
    view's `complete_csv_rows` adds) and an optional formatter."""

    label: Any
    field: str
    format: Callable[[Any], Any] | None = None
    computed: bool = False
    # The formatted text depends on the value alone and values repeat (a country, a status):
    # an export formats each distinct value once (a translated country name per row was 80%
    # of a customers export's time).
    repeats: bool = False

    def value(self, row: dict[str, Any]) -> Any:
        value = row.get(self.field)
        return self.format(value) if self.format else value


def _cell_function(column: Column) -> Callable[[dict[str, Any]], str]:
    """A row → CSV cell function for one column of one export (a closure per column: an export
    calls it once per row and column, so it does no more than the column needs)."""
    field, format = column.field, column.format
    if format is None:
        return lambda row: csv_safe(row[field])
    if not column.repeats:
        return lambda row: csv_safe(format(row[field]))
    seen: dict[Any, str] = {}

    def cell(row: dict[str, Any]) -> str:
        value = row[field]
        text = seen.get(value)
        if text is None:
            text = seen[value] = csv_safe(format(value))
        return text

    return cell


class ListPage(ReplicaReadsMixin):
    """A view mixin: subclasses set the queryset, search fields, sort options and CSV columns.
    Its GET (page and CSV) may read a replica when one is configured (portal/dbrouter.py)."""

    template_name: str
    paginate_by = 25
    count_cap = COUNT_CAP
    # Foreign keys to Organization that the search box looks in (legal name; and primary domain
    # with `search_domains`).
    search_relations: tuple[str, ...] = ()
    search_domains = False
    # A searched list counts at most this many rows ("More than 1,000 results").
    search_count_cap = 1_000
    # Set when a search term matches too many organizations to filter by their ids. Matching
    # rows are then frequent, so counting stops early at this smaller cap ("More than 50
    # results: type more of the name") and the page costs the same queries as any search.
    many_matches = False
    many_matches_count_cap = 50
    # An order an index serves, to count a broad search in (see `portal.paging.capped_count`).
    index_order: tuple[str, ...] | None = None
    # sort key -> (label, order_by fields)
    sort_options: dict[str, tuple[Any, tuple[str, ...]]] = {}
    default_sort: str = ""
    # The export's name in `portal.exports` (registered in the app's ready()).
    export_kind = ""
    csv_columns: list[Column] = []
    # Read for `complete_csv_rows` but not written.
    csv_extra_fields: tuple[str, ...] = ()

    request: HttpRequest
    kwargs: dict[str, Any]

    def base_queryset(self) -> QuerySet:
        raise NotImplementedError

    def filter_queryset(self, qs: QuerySet) -> QuerySet:
        return qs

    def extra_context(self) -> dict[str, Any]:
        return {}

    def complete_rows(self, rows: list[Any]) -> None:
        """Add what the page shows beyond its query to the page's rows (a fixed number of
        queries over the page's ids, never one per row)."""

    def complete_csv_rows(self, rows: list[dict[str, Any]]) -> None:
        """The same for a batch of CSV rows (dicts of `.values()`)."""

    def is_searched(self) -> bool:
        """A search or typed filter narrows the list (it gets the smaller count cap)."""
        return bool(self.search_term())

    def search_term(self) -> str:
        return clean_query_text(self.request.GET.get("q", ""))

    def sort_key(self) -> str:
        sort = self.request.GET.get("sort", "")
        return sort if sort in self.sort_options else self.default_sort

    def search(self, qs: QuerySet, term: str) -> QuerySet:
        """Case-insensitive substring search on the organizations a row points to.

        The matching organizations are looked up first (one query over the GIN trigram indexes
        on PostgreSQL, `LIKE` on SQLite); when they are few, the rows are filtered by their ids,
        which each foreign-key index serves, instead of joining and testing every row of the
        tenant. When too many organizations match, a page tests each row's organization as it
        walks the list in order and stops at the smaller count cap (`many_matches_count_cap`);
        an export, which reads every matching row anyway, joins."""
        ids = self.organizations_matching(term, domains=self.search_domains)
        condition = Q()
        for relation in self.search_relations:
            if ids is not None:
                condition |= Q(**{f"{relation}_id__any_of": ids})
                continue
            if self.wants_csv():
                # An export reads every matching row: a join filters them in one pass.
                condition |= Q(**{f"{relation}__legal_name__icontains": term})
                if self.search_domains:
                    condition |= Q(**{f"{relation}__primary_domain__icontains": term})
                continue
            # Many organizations match: each row's organization is tested as the list is
            # walked in its order, by a correlated scalar subquery. As a join (or EXISTS),
            # PostgreSQL merged every matching organization with every row of the tenant to
            # count 200 of them; a scalar subquery stays a per-row test, so the walk stops at
            # the page's capped count.
            matches = Q(legal_name__icontains=term)
            if self.search_domains:
                matches |= Q(primary_domain__icontains=term)
            alias = f"_search_{relation}"
            qs = qs.alias(
                **{
                    alias: Subquery(
                        Organization.objects.filter(matches, pk=OuterRef(f"{relation}_id"))
                        .order_by()
                        .values("pk")[:1]
                    )
                }
            )
            condition |= Q(**{f"{alias}__isnull": False})
        return qs.filter(condition)

    def count_cap_for_request(self) -> int:
        if self.many_matches:
            return self.many_matches_count_cap
        return self.search_count_cap if self.is_searched() else self.count_cap

    def organizations_matching(self, term: str, *, domains: bool = False) -> list[int] | None:
        """`selectors.organizations_matching`, once per term and request (it also sets
        `many_matches`, see `count_cap_for_request`)."""
        cache = self.__dict__.setdefault("_matching", {})
        if (term, domains) not in cache:
            cache[term, domains] = selectors.organizations_matching(term, domains=domains)
        if cache[term, domains] is None:
            self.many_matches = True
        return cache[term, domains]

    def queryset(self) -> QuerySet:
        qs = self.filter_queryset(self.base_queryset())
        term = self.search_term()
        if term and self.search_relations:
            qs = self.search(qs, term)
        order = self.sort_options[self.sort_key()][1]
        # A unique tie-breaker keeps pages stable; it follows the sort's direction when the
        # option names it ("-pk"), so a descending index serves the whole order.
        return qs.order_by(*order, *(() if {"pk", "-pk"} & set(order) else ("pk",)))

    def wants_csv(self) -> bool:
        return bool(self.kwargs.get("export")) or self.request.GET.get("format") == "csv"

    def csv_records(self, qs: QuerySet) -> Iterator[list[Any]]:
        """One list of cells per row, read as `.values()` in server-side chunks (memory stays
        flat) and completed a batch at a time (`complete_csv_rows`)."""
        columns = self.csv_columns
        fields = [c.field for c in columns if not c.computed] + list(self.csv_extra_fields)
        rows = qs.values(*dict.fromkeys(fields)).iterator(chunk_size=CSV_BATCH)
        cells = [_cell_function(column) for column in columns]
        while batch := list(islice(rows, CSV_BATCH)):
            self.complete_csv_rows(batch)
            for row in batch:
                yield [cell(row) for cell in cells]

    def export_source(self) -> ExportSource:
        """The list's export as it stands (filters, search, sort): see `portal.exports`."""
        qs = self.queryset()
        return ExportSource(
            queryset=qs,
            header=[str(column.label) for column in self.csv_columns],
            rows=lambda: self.csv_records(qs),
        )

    @classmethod
    def export_source_for(cls, organization: Organization, params: QueryDict) -> ExportSource:
        """The same export outside a request (a worker preparing it): the list reads its
        filters from `params` as it reads them from the query string."""
        view: Any = cls()
        request = HttpRequest()
        request.GET = params  # type: ignore[assignment]
        view.setup(request, export=True)
        view.organization = organization
        return view.export_source()

    def query_string(self) -> str:
        params = self.request.GET.copy()
        for key in ("page", "format"):
            params.pop(key, None)
        return params.urlencode()

    def render_list(
        self, request: HttpRequest, **context: Any
    ) -> HttpResponse | StreamingHttpResponse:
        if self.wants_csv():
            return export_response(request, kind_name=self.export_kind, source=self.export_source())
        qs = self.queryset()
        page = bounded_page(
            qs,
            request.GET.get("page"),
            per_page=self.paginate_by,
            cap=self.count_cap_for_request(),
            count_order=self.index_order if self.many_matches else None,
            # A search's count stops at a small cap: read it with the page, in one query.
            one_query=self.is_searched(),
        )
        self.complete_rows(page.object_list)
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
                "narrow_hint": self.many_matches,
                # _list_controls.html explains a page past the cap above the table.
                "cap_notice_above": True,
                **self.extra_context(),
                **context,
            },
        )
