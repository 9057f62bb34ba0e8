"""Invoicing's part of the Billing page (commerce's billing.html, slot "billing", registered
in InvoicingConfig.ready()): the links to the invoices, the reconciliation files and (a
provider's) usage files, for the members who may see them."""

from __future__ import annotations

from typing import Any

from portal.models import Membership
from portal.policy import Action, can
from portal.types import AuthenticatedHttpRequest


def billing_links_section(
    request: AuthenticatedHttpRequest, membership: Membership, obj: Any
) -> tuple[str, dict[str, Any]] | None:
    if not can(membership, Action.VIEW_INVOICES):
        return None
    return "invoicing/_billing_links.html", {"import_usage": can(membership, Action.IMPORT_USAGE)}
