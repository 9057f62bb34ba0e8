"""`{% with seen=subscription|prices_seen_by:current_organization %}`: the prices of a
subscription its viewer may see (`commerce.visibility`)."""

from __future__ import annotations

from typing import Any

from django import template

from commerce.visibility import SeenPrices
from commerce.visibility import prices_seen_by as _prices_seen_by

register = template.Library()


@register.filter
def prices_seen_by(subscription: Any, organization: Any) -> SeenPrices:
    return _prices_seen_by(subscription, getattr(organization, "pk", organization))
