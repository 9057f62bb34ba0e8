"""Commerce's section of a partner's customer page (relationships' customer_detail.html, slot
"customer_detail", registered in CommerceConfig.ready()): "Place an order" and the customer's
subscriptions. No query."""

from __future__ import annotations

from typing import Any

from portal.models import Membership, Organization
from portal.policy import Action, can
from portal.types import AuthenticatedHttpRequest


def customer_orders_section(
    request: AuthenticatedHttpRequest, membership: Membership, customer: Organization
) -> tuple[str, dict[str, Any]] | None:
    can_order = can(membership, Action.PLACE_ORDER)
    can_view_subscriptions = can(membership, Action.VIEW_SUBSCRIPTIONS)
    if not (can_order or can_view_subscriptions):
        return None
    return (
        "commerce/_customer_orders.html",
        {
            "customer": customer,
            "can_order": can_order,
            "can_view_subscriptions": can_view_subscriptions,
        },
    )
