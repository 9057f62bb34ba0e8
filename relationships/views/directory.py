"""Find a provider: the directory every reseller reads."""

from __future__ import annotations

from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views import View

from portal.countries import country_name, region_name, sort_key
from portal.forms import clean_query_text
from portal.paging import COUNT_CAP, bounded_page
from portal.policy import Action
from portal.tenancy import TenantViewMixin

from .. import selectors
from ..lists import memo_bounded_page
from ._base import Kind


@lru_cache(maxsize=256)
def _countries_served(
    markets: tuple[tuple[str, str], ...], language: str | None
) -> tuple[tuple[tuple[str, str], ...], str]:
    """A directory entry's countries (the markets of its regions, as read from the database by
    this request) in the reader's alphabetical order, and their names joined. A pure function of
    the markets and the language, remembered as `memoized_date` remembers a date's text: the
    same ~550 countries were named and sorted on every Find a provider page (~15% of its CPU,
    issue 21). Changed markets are other arguments, so never a stale text."""
    labelled = sorted((_label(code, name), (code, name)) for code, name in markets)
    return (
        tuple(market for _, market in labelled),
        ", ".join(name for (_, name), _ in labelled),
    )


def _label(code: str, name: str) -> tuple[str, str]:
    """A country's sort key and name in the active language."""
    text = country_name(code, name)
    return sort_key(text), text


def _directory_entry(row: Any) -> SimpleNamespace:
    """A directory entry's profile as `{% provider_entries %}` reads it."""
    return SimpleNamespace(
        pk=row.pk,
        description=row.description,
        contact_email=row.contact_email,
        website=row.website,
        organization=SimpleNamespace(legal_name=row.organization__legal_name),
    )


class FindProviderView(TenantViewMixin, View):
    page_memo = True  # served again while nothing it read changed (portal/pagememo.py)
    required_action = Action.VIEW_RELATIONSHIPS
    organization_kinds = {Kind.RESELLER}
    paginate_by = 20

    def get(self, request: HttpRequest) -> HttpResponse:
        search = clean_query_text(request.GET.get("q", ""))
        try:
            region_id = int(request.GET.get("region") or 0) or None
        except ValueError:
            region_id = None
        if search:
            page = bounded_page(
                selectors.provider_directory(search=search, region_id=region_id),
                request.GET.get("page"),
                per_page=self.paginate_by,
            )
        else:
            # Without a typed search the directory's queries are built from the region alone:
            # compiled once (`memo_bounded_page`), read as the plain values
            # `{% provider_entries %}` shows.
            page = memo_bounded_page(
                ("relationships.provider_directory", region_id),
                lambda: selectors.provider_directory(region_id=region_id),
                request.GET.get("page"),
                fields=(
                    "pk",
                    "description",
                    "contact_email",
                    "website",
                    "organization__legal_name",
                ),
                per_page=self.paginate_by,
                cap=COUNT_CAP,
                row=_directory_entry,
            )
        own_region = self.organization.country.region if self.organization.country else None
        profiles = list(page.object_list)
        regions_of = selectors.directory_regions(profile_ids=[profile.pk for profile in profiles])
        markets_of = selectors.markets_by_region(
            region_ids={region_id for regions in regions_of.values() for region_id, _ in regions}
        )
        # Providers share their sets of regions: the countries of a set are sorted and joined
        # once per page (25 providers' ~550 countries were sorted and named one by one).
        served: dict[tuple[int, ...], tuple[tuple[tuple[str, str], ...], str]] = {}
        language = get_language()
        entries = []
        for profile in profiles:
            regions = regions_of.get(profile.pk, [])
            key = tuple(region_id for region_id, _ in regions)
            found = served.get(key)
            if found is None:
                found = served[key] = _countries_served(
                    tuple(m for region_id in key for m in markets_of.get(region_id, ())), language
                )
            markets, markets_text = found
            entries.append(
                {
                    "profile": profile,
                    "regions": [region_name(name) for _, name in regions],
                    "markets": markets,
                    # Joined here: up to every country of the world per provider, one template
                    # loop each, was most of the page's rendering time.
                    "markets_text": markets_text,
                    "available": own_region is not None
                    and any(region_id == own_region.pk for region_id in key),
                }
            )
        params = request.GET.copy()
        params.pop("page", None)
        return render(
            request,
            "relationships/find_provider.html",
            {
                "page": page,
                "entries": entries,
                "q": search,
                "region_id": region_id,
                "regions": sorted(selectors.region_list(), key=lambda r: sort_key(r.display_name)),
                "own_region": own_region,
                "query_string": params.urlencode(),
            },
        )
