"""Receivers of the relationships' signals (connected in `DelegationConfig.ready()`); each only
calls delegation's own service."""

from __future__ import annotations

from typing import Any

from portal.models import User
from relationships.models import CustomerRelationship

from .services.gdap import gdap_approve_on_acceptance


def approve_gdap_on_acceptance(
    sender: Any,
    *,
    relationship: CustomerRelationship,
    actor: User,
    approve_gdap: bool = False,
    **kwargs: Any,
) -> None:
    """GDAP first: accepting grants no delegated admin access (DAP); the customer's Global admin
    approves the reseller's granular admin roles as it accepts, when it left the box ticked."""
    if approve_gdap:
        gdap_approve_on_acceptance(actor=actor, relationship=relationship)
