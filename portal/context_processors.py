"""The shell every page shares: the organization in the top bar and the left navigation, whose
entries the apps register (portal/navigation.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .navigation import MAIN, SETTINGS, navigation


def shell(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    debug_outbox = settings.DEBUG
    if membership is None:
        return {"nav_main": [], "nav_settings": [], "debug_outbox": debug_outbox}
    sections = navigation(membership, request.path)
    return {
        "nav_main": sections[MAIN],
        "nav_settings": sections[SETTINGS],
        "current_organization": membership.organization,
        "current_membership": membership,
        "debug_outbox": debug_outbox,
    }
