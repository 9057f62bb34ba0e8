"""Panels other apps add to the dashboard overview (agreement banner, verification status...).

An app registers a function in its AppConfig.ready(); each returns (template, context) or None
for the requesting membership. Keep each panel to a fixed, small number of queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .models import Membership
from .types import AuthenticatedHttpRequest

Panel = Callable[[AuthenticatedHttpRequest, Membership], tuple[str, dict[str, Any]] | None]
_PANELS: list[tuple[int, Panel]] = []


def register_panel(panel: Panel, *, order: int = 50) -> Panel:
    if all(existing is not panel for _order, existing in _PANELS):
        _PANELS.append((order, panel))
        _PANELS.sort(key=lambda item: item[0])
    return panel


def dashboard_panels(
    request: AuthenticatedHttpRequest, membership: Membership
) -> list[dict[str, Any]]:
    panels = []
    for _order, panel in _PANELS:
        result = panel(request, membership)
        if result is not None:
            template, context = result
            panels.append({"template": template, "context": context})
    return panels
