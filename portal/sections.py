"""Sections an app adds to another app's page, the way apps add dashboard panels.

A page declares a slot (`{% page_sections "customer_detail" customer %}`, from
`portal_sections`); an app registers a function for that slot in its AppConfig.ready(). Each
function gets the request, the requesting membership and the page's object and returns
(template, context) or None. The page's app then shows what other apps do with its object (the
orders of a customer, who administers it) without importing them: the arrows stay one way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .models import Membership
from .types import AuthenticatedHttpRequest

Section = Callable[[AuthenticatedHttpRequest, Membership, Any], tuple[str, dict[str, Any]] | None]
_SECTIONS: dict[str, list[tuple[int, Section]]] = {}


def register_section(slot: str, section: Section, *, order: int = 50) -> Section:
    sections = _SECTIONS.setdefault(slot, [])
    if all(existing is not section for _order, existing in sections):
        sections.append((order, section))
        sections.sort(key=lambda item: item[0])
    return section


def page_sections(
    slot: str, request: AuthenticatedHttpRequest, membership: Membership, obj: Any
) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for _order, section in _SECTIONS.get(slot, []):
        result = section(request, membership, obj)
        if result is not None:
            found.append(result)
    return found
