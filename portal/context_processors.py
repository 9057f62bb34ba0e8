"""The shell every page shares: the organization in the top bar and the left navigation, whose
entries the apps register (portal/navigation.py).

A page that renders parts of itself with `render_to_string(..., request)` (the dashboard's live
regions, a review case's sections, the billing page's panels) runs the context processors once
a template: the shell is worked out once a request and given again to the later templates."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .delegation import IDLE_MINUTES, admin_access_of
from .navigation import MAIN, SETTINGS, navigation
from .policy import Action, can


def shell(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    # Keyed by the membership itself: a view that changes the request's membership (signing
    # in, switching organization) gets the shell of the new one.
    remembered = getattr(request, "_portal_shell", None)
    if remembered is not None and remembered[0] is membership:
        return remembered[1]
    context = _shell(request, membership)
    request._portal_shell = (membership, context)  # type: ignore[attr-defined]
    return context


def _shell(request: HttpRequest, membership: Any) -> dict[str, Any]:
    debug_outbox = settings.DEBUG
    if membership is None:
        return {"nav_main": [], "nav_settings": [], "debug_outbox": debug_outbox}
    sections = navigation(membership, request.path)
    # The user menu's Outbox entry: the same rule as the page (`portal.views.outbox_allowed`).
    can_read_outbox = debug_outbox and can(membership, Action.READ_OUTBOX)
    # The "administering on behalf" banner: how and until when the partner may administer, from
    # the same answer as the customer's Partner relationships page (portal/delegation.py).
    delegated_accesses = (
        admin_access_of(membership.organization, partner=membership.delegated_by)
        if membership.is_delegated
        else []
    )
    return {
        "nav_main": sections[MAIN],
        "delegated_accesses": delegated_accesses,
        "nav_settings": sections[SETTINGS],
        "current_organization": membership.organization,
        "current_membership": membership,
        "debug_outbox": debug_outbox,
        "can_read_outbox": can_read_outbox,
        # The delegation banner: when administering a customer ends by itself.
        "delegation_idle_minutes": IDLE_MINUTES,
    }
