"""Find a provider: the directory every reseller reads."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from portal.countries import country_name, sort_key
from portal.forms import clean_query_text
from portal.paging import bounded_page
from portal.policy import Action
from portal.tenancy import TenantViewMixin

from .. import selectors
from ._base import Kind


class FindProviderView(TenantViewMixin, View):
    required_action = Action.VIEW_RELATIONSHIPS
    organization_kinds = {Kind.RESELLER}
    paginate_by = 20

    def get(self, request: HttpRequest) -> HttpResponse:
        search = clean_query_text(request.GET.get("q", ""))
        try:
            region_id = int(request.GET.get("region") or 0) or None
        except ValueError:
            region_id = None
        qs = selectors.provider_directory(search=search, region_id=region_id)
        page = bounded_page(qs, request.GET.get("page"), per_page=self.paginate_by)
        own_region = self.organization.country.region if self.organization.country else None
        # A country's name in the reader's language and its sort key, once per country for the
        # whole page: the providers' regions repeat the same countries.
        labels: dict[str, tuple[str, str]] = {}

        def label(market: tuple[str, str]) -> tuple[str, str]:
            found = labels.get(market[0])
            if found is None:
                name = country_name(market[0], market[1])
                found = labels[market[0]] = (sort_key(name), name)
            return found

        profiles = list(page.object_list)
        regions_of = {profile.pk: list(profile.regions.all()) for profile in profiles}
        markets_of = selectors.markets_by_region(
            region_ids=(region.pk for regions in regions_of.values() for region in regions)
        )
        # Providers share their sets of regions: the countries of a set are sorted and joined
        # once per page (25 providers' ~550 countries were sorted and named one by one).
        served: dict[tuple[int, ...], tuple[list[tuple[str, str]], str]] = {}

        def markets_of_regions(regions: list) -> tuple[list[tuple[str, str]], str]:
            key = tuple(region.pk for region in regions)
            found = served.get(key)
            if found is None:
                labelled = sorted(
                    (label(m), m) for region in regions for m in markets_of.get(region.pk, [])
                )
                found = served[key] = (
                    [m for _, m in labelled],
                    ", ".join(name for (_, name), _ in labelled),
                )
            return found

        entries = []
        for profile in profiles:
            regions = regions_of[profile.pk]
            markets, markets_text = markets_of_regions(regions)
            entries.append(
                {
                    "profile": profile,
                    "regions": regions,
                    "markets": markets,
                    # Joined here: up to every country of the world per provider, one template
                    # loop each, was most of the page's rendering time.
                    "markets_text": markets_text,
                    "available": own_region is not None
                    and any(r.pk == own_region.pk for r in regions),
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
