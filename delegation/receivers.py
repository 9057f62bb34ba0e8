"""Receivers of the relationships' signals (connected in `DelegationConfig.ready()`); each only
calls delegation's own service."""

from __future__ import annotations

from typing import Any

from portal.models import User
from relationships.models import CustomerRelationship

from .services.dap import admin_access_grant


def grant_admin_access_on_acceptance(
    sender: Any,
    *,
    relationship: CustomerRelationship,
    actor: User,
    include_admin_access: bool = True,
    **kwargs: Any,
) -> None:
    if include_admin_access:
        admin_access_grant(actor=actor, relationship=relationship)
