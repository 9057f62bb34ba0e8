"""Entries other apps add to the left navigation and to the Account settings menu (the gear).

Like the dashboard panels (portal/dashboard.py): an app registers its entries in its
AppConfig.ready(); the shell context processor shows those the requesting membership may use,
in `order`. The core knows no feature: it only reads this registry."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import get_language

from .models import Membership, Organization
from .policy import Action, can
from .reversing import name_reverser

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAIN = "main"
SETTINGS = "settings"  # the Account settings menu (the gear in the top bar leads to its first)


@dataclass(frozen=True)
class NavEntry:
    label: StrOrPromise  # gettext_lazy: the entry is built once, shown in every language
    url_name: str
    # Shown when `can(membership, action)`; `predicate` replaces it for other conditions.
    action: Action | None = None
    predicate: Callable[[Membership], bool] | None = None
    kinds: Collection[str] | None = None  # organization kinds that see it (None: every kind)
    order: int = 50
    section: str = MAIN
    # Until Register now, the enrolment is all there is to do: only entries marked so show.
    in_draft: bool = False

    def visible_to(self, membership: Membership) -> bool:
        organization = membership.organization
        if organization.status == Organization.Status.DRAFT and not self.in_draft:
            return False
        if self.kinds is not None and organization.kind not in self.kinds:
            return False
        if self.predicate is not None:
            return self.predicate(membership)
        return self.action is not None and can(membership, self.action)


_ENTRIES: list[NavEntry] = []


def register_nav(*entries: NavEntry) -> None:
    """Add entries (an app calls this from its AppConfig.ready(); calling twice adds nothing)."""
    for entry in entries:
        if all(existing.url_name != entry.url_name for existing in _ENTRIES):
            _ENTRIES.append(entry)
    _ENTRIES.sort(key=lambda e: e.order)


def nav_entries() -> list[NavEntry]:
    return list(_ENTRIES)


# Each entry's label as translated in each language (a lazy label translated again on every
# page: 15-20 catalogue look-ups a request, each a miss through every catalogue in English).
# Keyed by the entry itself (kept with its text: an id is never another entry's).
_LABELS: dict[tuple[int, str | None], tuple[NavEntry, str]] = {}


def _label(entry: NavEntry, language: str | None) -> str:
    key = (id(entry), language)
    known = _LABELS.get(key)
    if known is not None and known[0] is entry:
        return known[1]
    text = str(entry.label)
    _LABELS[key] = (entry, text)
    return text


def navigation(membership: Membership, path: str) -> dict[str, list[dict[str, Any]]]:
    """The entries this membership sees, by section, each with its path and whether the
    current page is under it (the deepest entry when several are; no query: the membership
    holds its organization)."""
    sections: dict[str, list[dict[str, Any]]] = {MAIN: [], SETTINGS: []}
    reverse = name_reverser()
    language = get_language()
    for entry in _ENTRIES:
        if not entry.visible_to(membership):
            continue
        url = reverse(entry.url_name)
        sections.setdefault(entry.section, []).append(
            {
                "label": _label(entry, language),
                "path": url,
                "section": entry.section,
                "active": path.startswith(url),
            }
        )
    for items in sections.values():
        # One current entry: the deepest (/billing/invoices/ is under Invoices, not Billing).
        active = [item for item in items if item["active"]]
        for item in active:
            item["active"] = item is max(active, key=lambda i: len(i["path"]))
    return sections
