"""Country and CSP region names in the reader's language.

The `Market` and `Region` tables hold English names (the operator edits them in the admin); what
a person reads is the name for the active language: countries from django-countries by ISO code,
regions from this module's catalogue (a region the operator adds later shows as entered)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

# The CSP regions of the reference data (portal/fixtures/csp_regions.json), for makemessages.
REGION_NAMES = {
    "Africa": _("Africa"),
    "Asia and Pacific": _("Asia and Pacific"),
    "Australia": _("Australia"),
    "Brazil": _("Brazil"),
    "Canada": _("Canada"),
    "China": _("China"),
    "Europe": _("Europe"),
    "India": _("India"),
    "Japan": _("Japan"),
    "Korea, Republic of": _("Korea, Republic of"),
    "Latin America and the Caribbean": _("Latin America and the Caribbean"),
    "Middle East, Central Europe, and Eastern Europe": _(
        "Middle East, Central Europe, and Eastern Europe"
    ),
    "New Zealand": _("New Zealand"),
    "Taiwan": _("Taiwan"),
    "United States": _("United States"),
}


# language → ISO code → name. django-countries translates a name through the whole gettext
# fallback chain on every call (a page of 25 rows, or a list of 242 markets, named them again on
# every request): a name is the same for the life of the process, so it is looked up once.
_COUNTRY_NAMES: dict[str | None, dict[str, str]] = {}
_REGION_NAMES: dict[str | None, dict[str, str]] = {}


def country_name(code: str | None, fallback: str = "") -> str:
    """The country's name in the active language; `fallback` (the table's English name) for a
    code the library doesn't know (Kosovo, XK)."""
    if not code:
        return fallback
    names = _COUNTRY_NAMES.setdefault(get_language(), {})
    name = names.get(code)
    if name is None:
        name = names[code] = str(countries.name(code))
    return name or fallback or code


def region_name(name: str) -> str:
    names = _REGION_NAMES.setdefault(get_language(), {})
    found = names.get(name)
    if found is None:
        found = names[name] = str(REGION_NAMES.get(name, name))
    return found


@lru_cache(maxsize=8192)
def sort_key(text: str) -> str:
    """Alphabetical order as a reader expects it: accents and case don't move a name
    (Åland Islands between Albania and Algeria, Émirats with the Es)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def sorted_by_name[T](pairs: Iterable[tuple[T, str]]) -> list[tuple[T, str]]:
    return sorted(pairs, key=lambda pair: sort_key(pair[1]))
