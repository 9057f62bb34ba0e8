"""Search, sort, pagination, counts and CSV export shared by the relationship lists.

Every list page costs a fixed number of queries whatever the tenant's size: a capped count
(`portal.paging`), one page of rows, and whatever a view adds for *the page's* rows
(`complete_rows`, e.g. the shared-customer counts). CSV exports go through `portal.exports`:
rows are read with `.values()` in server-side chunks and written as they come, so memory stays
flat; a small export streams, a large one is prepared by a worker."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import (
    BooleanField,
    Expression,
    F,
    Field,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render

from portal.csv_export import csv_safe
from portal.dbrouter import ReplicaReadsMixin
from portal.exports import ExportSource, export_response
from portal.forms import clean_query_text
from portal.models import Organization
from portal.paging import (
    COUNT_CAP,
    BoundedPage,
    CappedCount,
    bounded_page,
    page_number,
)
from portal.sqlmemo import (
    id_array,
    memo_count,
    memo_rows,
    memo_rows_of_term,
)

from . import selectors

CSV_BATCH = 2000  # rows read per server-side fetch, and per `complete_csv_rows` call


def _memo_capped_count(key: Hashable, make: Callable[[], QuerySet], cap: int) -> CappedCount:
    """`portal.paging.capped_count(make(), cap)` with its SQL compiled once per `key`, which must
    name everything `make`'s queryset is built from (`portal.sqlmemo.memo_count`)."""
    n = memo_count(key, lambda: make().order_by().values("pk")[: cap + 1])
    return CappedCount(value=min(n, cap), capped=n > cap)


def memo_bounded_page(
    key: Hashable,
    make: Callable[[], QuerySet],
    number: Any,
    *,
    fields: tuple[str, ...],
    per_page: int,
    cap: int,
    row: Callable[[Any], Any],
) -> BoundedPage:
    """`bounded_page(make(), number, per_page=per_page, cap=cap)`'s page (the same two queries:
    a capped count and the page's rows, a deferred join past the first page), each SQL compiled
    once per `key` and page (`portal.sqlmemo`: `key` names everything `make`'s queryset is built
    from), its rows read as `fields` values and shaped by `row`."""
    count = _memo_capped_count((key, "count", cap), make, cap)
    page = BoundedPage.counted_at(page_number(number), per_page, count)
    offset = page.offset

    def build(_cursor: object) -> QuerySet:
        qs = make()
        if offset:
            qs = qs.filter(pk__in=qs.values("pk")[offset : offset + per_page])
        return qs.values_list(*fields, named=True)[:per_page]

    rows = memo_rows((key, "page", page.number, per_page), build, None)
    page.object_list = [row(found) for found in rows]
    return page


def memo_uncounted_page(
    key: Hashable,
    make: Callable[[], QuerySet],
    number: Any,
    *,
    fields: tuple[str, ...],
    per_page: int,
    row: Callable[[Any], Any],
) -> BoundedPage:
    """`bounded_page(make(), number, per_page=per_page, counted=False)` (the same one query of
    `per_page + 1` rows) with its SQL compiled once per `key` and page (`portal.sqlmemo`: `key`
    names everything `make`'s queryset is built from), its rows read as `fields` values and
    shaped by `row`."""
    page = BoundedPage.uncounted_at(page_number(number), per_page, COUNT_CAP)
    offset = page.offset

    def build(_cursor: object) -> QuerySet:
        return make().values_list(*fields, named=True)[offset : offset + per_page + 1]

    rows = memo_rows((key, page.number, per_page), build, None)
    page.fill_uncounted(rows)
    page.object_list = [row(found) for found in page.object_list]
    return page


def memo_counted_page(
    key: Hashable,
    make: Callable[[str], QuerySet],
    term: str,
    number: Any,
    *,
    fields: tuple[str, ...],
    per_page: int,
    cap: int,
    row: Callable[[Any], Any],
) -> BoundedPage | None:
    """`bounded_page(make(term), number, one_query=True)`'s page and capped count in its one
    query (`portal.paging._counted_page`), its SQL compiled once per `key` and page whatever
    the term (`portal.sqlmemo.memo_rows_of_term`: `make` looks for it with `icontains`), its
    rows read as `fields` values and shaped by `row`. None where `_counted_page` is (a page past
    the last, or past the browsable ones): the caller then counts and pages as without one
    query."""
    requested = page_number(number)
    offset = (requested - 1) * per_page
    if offset >= cap:
        return None  # past the browsable pages whatever the rows: nothing to read here

    def build(marker: str) -> QuerySet:
        qs = make(marker)
        # The capped count of the matching rows alone, without the page's joins (a window over
        # the joined rows joined every match: 614 organizations and countries for a page of 25,
        # 5.8 ms of a 1x search, issue 21); the page's rows joined for the page alone.
        first = qs.order_by().values("pk")[: cap + 1]
        counted = qs.annotate(matches_total=CountOf(first))
        return counted.values_list(*fields, "matches_total", named=True)[offset : offset + per_page]

    rows = memo_rows_of_term((key, "counted", requested, per_page, cap), build, term)
    if not rows and requested > 1:
        return None
    total = rows[0].matches_total if rows else 0
    count = CappedCount(value=min(total, cap), capped=total > cap)
    page = BoundedPage(
        number=requested,
        per_page=per_page,
        count=count,
        object_list=[row(found) for found in rows],
        requested=requested,
    )
    return page if requested <= page.num_pages else None


class CountOf(Subquery):
    """`(SELECT COUNT(*) FROM (<queryset>) counted)`: how many rows a (sliced) queryset holds,
    as one uncorrelated subquery that the database runs once. Output as a plain `Field`: the
    integer the database returns, without the int() converter of a count's `IntegerField`,
    which would keep `portal.sqlmemo` from replaying it."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"

    def __init__(self, queryset: QuerySet) -> None:
        super().__init__(queryset, output_field=Field())


class IdsIn(Expression):
    """`column = ANY('{1,2,…}'::bigint[])`: a search's condition on the ids of the organizations
    whose name matches (up to `selectors.SEARCH_MATCH_LIMIT`), as `field__any_of=ids` writes it
    (portal/lookups.py) without its work per id. The `in` lookup prepared every id when the
    filter was built and again, twice, as the page and its count compiled, and psycopg dumped
    the array element by element: ~750 ids (the load suite's `?q=harbor`) were about a quarter
    of the page's CPU (issue 21). Here the ids are written once, as one text parameter. Any
    other database gets `IN (%s, …)`; no id matches nothing (EmptyResultSet, as `any_of`)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, field: str, ids: list[int]) -> None:
        super().__init__()
        self.column: Any = F(field)
        self.ids = [int(value) for value in dict.fromkeys(ids) if value is not None]

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        if not self.ids:
            raise EmptyResultSet
        lhs, params = compiler.compile(self.column)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.ids))})", (*params, *self.ids)

    def as_postgresql(
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        if not self.ids:
            raise EmptyResultSet
        lhs, params = compiler.compile(self.column)
        db_type = self.column.output_field.cast_db_type(connection)
        return f"{lhs} = ANY(%s::{db_type}[])", (*params, id_array(self.ids))


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
    # The list's own columns that copy the searched organization's name (and domain), kept
    # equal to it by the database (e.g. `ProviderRelationship.reseller_name`): set, the search
    # tests them on the tenant's rows, and never looks among every organization first.
    search_columns: tuple[str, ...] = ()
    # A searched list counts at most this many rows ("More than 250 results"): ten pages of
    # 25. Counting a broad term's matches is what grows with the tenant (issue 21: 614 of a
    # distributor's resellers match "harbor", read from 560 table pages in 3.5 ms; at 250 the
    # count stops at about 40% of them). A longer list of matches is a search to narrow.
    search_count_cap = 250
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
    # What an unsearched page's template reads of a row, as `.values()` paths: set, the page is
    # read by `memo_page` (SQL compiled once, plain rows that `memo_row` shapes).
    memo_fields: tuple[str, ...] = ()
    # Set when the list's queryset is built from the query string alone (`filter_queryset`
    # reads no other query's result) and it searches `search_columns`: a searched page is then
    # read by `search_memo_page` too, its SQL compiled once whatever the term.
    memo_search = False

    request: HttpRequest
    kwargs: dict[str, Any]
    organization: Organization  # set by TenantViewMixin

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

        A list with `search_columns` tests its own rows' copy of the name (and domain): no
        join and no look-up among every organization. Otherwise the matching organizations are
        looked up first (one query over the GIN trigram indexes on PostgreSQL, `LIKE` on
        SQLite); when they are few, the rows are filtered by their ids, which each foreign-key
        index serves, instead of joining and testing every row of the tenant. When too many
        organizations match, a page tests each row's organization as it walks the list in
        order and stops at the smaller count cap (`many_matches_count_cap`); an export, which
        reads every matching row anyway, joins."""
        if self.search_columns:
            # The tenant's own copy of the name: PostgreSQL walks the list's index until a page
            # for a frequent term, or reads a rare one through the columns' trigram indexes.
            own = Q()
            for column in self.search_columns:
                own |= Q(**{f"{column}__icontains": term})
            return qs.filter(own)
        ids = self.organizations_matching(term, domains=self.search_domains)
        condition = Q()
        for relation in self.search_relations:
            if ids is not None:
                condition |= Q(IdsIn(f"{relation}_id", ids))
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

    def queryset(self, term: str | None = None) -> QuerySet:
        """The list as shown (filters, search, sort). `term`, given, is searched for instead of
        the query string's (`search_memo_page`'s marker)."""
        qs = self.filter_queryset(self.base_queryset())
        term = term or self.search_term()
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

    def memo_key(self) -> tuple[Any, ...] | None:
        """The key of an unsearched page's SQL (`memo_page`): the list, the organization and
        the query string but the page number, which is all its queryset is built from (a
        search's is also built from `organizations_matching`'s result: never memoised)."""
        if not self.memo_fields or self.is_searched():
            return None
        organization = self.organization
        params = tuple(sorted((k, tuple(v)) for k, v in self.request.GET.lists() if k != "page"))
        return (type(self).__qualname__, organization.pk, organization.kind, params)

    def search_memo_key(self) -> tuple[Any, ...] | None:
        """The key of a searched page's SQL (`search_memo_page`), with `memo_search` and
        `search_columns`: as `memo_key`'s but the term, which the SQL takes as a parameter
        swapped per request, so that every search shares it. None without a search."""
        term = self.search_term()
        if not (self.memo_search and self.memo_fields and term and self.search_columns):
            return None
        organization = self.organization
        params = tuple(
            sorted((k, tuple(v)) for k, v in self.request.GET.lists() if k not in ("page", "q"))
        )
        return (type(self).__qualname__, organization.pk, organization.kind, params, "search")

    def search_memo_page(self, key: tuple[Any, ...], number: Any) -> BoundedPage | None:
        """A searched page and its count (one query, as `bounded_page(one_query=True)` reads
        them) through `memo_counted_page`, the term swapped in per request. Building and
        compiling the queryset and a model instance per row and related row were ~40% of the
        `?q=harbor` page's CPU (issue 21). None for a page past the last (the caller counts,
        then pages)."""
        return memo_counted_page(
            key,
            self.queryset,
            self.search_term(),
            number,
            fields=self.memo_fields,
            per_page=self.paginate_by,
            cap=self.count_cap_for_request(),
            row=self.memo_row,
        )

    def memo_row(self, row: Any) -> Any:
        """A page's row as the template reads it, from a named row of `memo_fields`."""
        return row

    def memo_page(self, key: tuple[Any, ...], number: Any) -> BoundedPage:
        """An unsearched list's page through `memo_bounded_page`: building and compiling the
        two querysets, and a model instance per row and related row, were about a third of the
        Customers page's CPU (issue 21)."""
        return memo_bounded_page(
            key,
            self.queryset,
            number,
            fields=self.memo_fields,
            per_page=self.paginate_by,
            cap=self.count_cap_for_request(),
            row=self.memo_row,
        )

    def render_list(
        self, request: HttpRequest, **context: Any
    ) -> HttpResponse | StreamingHttpResponse:
        if self.wants_csv():
            return export_response(request, kind_name=self.export_kind, source=self.export_source())
        key = self.memo_key()
        search_key = None if key is not None else self.search_memo_key()
        number = request.GET.get("page")
        page: BoundedPage | None = None
        if key is not None:
            page = self.memo_page(key, number)
        elif search_key is not None:
            page = self.search_memo_page(search_key, number)
        if page is None:
            page = bounded_page(
                self.queryset(),
                number,
                per_page=self.paginate_by,
                cap=self.count_cap_for_request(),
                count_order=self.index_order if self.many_matches else None,
                # A search's count stops at a small cap: read it with the page, in one query
                # (`search_memo_page` just did, and found no such page: count first).
                one_query=self.is_searched() and search_key is None,
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
