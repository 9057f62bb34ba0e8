"""The shell every page shares: left navigation built from the organization kind and roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Organization
from .policy import Action, can

Kind = Organization.Kind


@dataclass(frozen=True)
class NavItem:
    label: Any
    path: str
    action: Action
    section: str = "main"


NAV: list[NavItem] = [
    NavItem(_("Dashboard"), "/dashboard/", Action.VIEW_DASHBOARD),
    NavItem(_("Customers"), "/customers/", Action.VIEW_CUSTOMERS),
    NavItem(_("Find a provider"), "/find-a-provider/", Action.AUTHORIZE_PROVIDER),
    NavItem(_("Indirect providers"), "/indirect-providers/", Action.VIEW_RELATIONSHIPS),
    NavItem(_("Indirect resellers"), "/indirect-resellers/", Action.INVITE_RESELLER),
    NavItem(_("Verification"), "/verification/", Action.VIEW_VERIFICATION),
    NavItem(_("Verification queue"), "/review/", Action.REVIEW_VERIFICATION),
    NavItem(_("Legal info"), "/settings/legal/", Action.VIEW_LEGAL_INFO, "settings"),
    NavItem(_("Identifiers"), "/settings/identifiers/", Action.MANAGE_IDENTIFIERS, "settings"),
    NavItem(_("User management"), "/settings/users/", Action.MANAGE_USERS, "settings"),
    NavItem(_("Partner profile"), "/settings/partner-profile/", Action.VIEW_LEGAL_INFO, "settings"),
    NavItem(_("Audit log"), "/audit-log/", Action.VIEW_AUDIT_LOG, "settings"),
]

# Providers see their resellers, resellers their providers: the same action, two pages.
_KIND_ONLY = {"/indirect-providers/": Kind.RESELLER, "/indirect-resellers/": Kind.PROVIDER}


def shell(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    debug_outbox = settings.DEBUG
    if membership is None:
        return {"nav_main": [], "nav_settings": [], "debug_outbox": debug_outbox}
    path = request.path
    items = []
    # Until Register now, the enrolment is all there is to do: the dashboard leads back to it.
    draft = membership.organization.status == Organization.Status.DRAFT
    for item in NAV:
        if draft and item.action != Action.VIEW_DASHBOARD:
            continue
        only = _KIND_ONLY.get(item.path)
        if only and membership.organization.kind != only:
            continue
        if can(membership, item.action):
            items.append(
                {
                    "label": item.label,
                    "path": item.path,
                    "section": item.section,
                    "active": path.startswith(item.path),
                }
            )
    return {
        "nav_main": [i for i in items if i["section"] == "main"],
        "nav_settings": [i for i in items if i["section"] == "settings"],
        "current_organization": membership.organization,
        "current_membership": membership,
        "debug_outbox": debug_outbox,
    }
