"""What the relationships tell the apps that build on them, without knowing them.

Sent inside the service's transaction with `send()` (not `send_robust()`): a receiver's failure
rolls the whole write back, as a direct call would. Receivers are connected in their app's
AppConfig.ready() (delegation's in delegation/receivers.py)."""

from __future__ import annotations

from django.dispatch import Signal

# A customer accepted a reseller relationship with a reseller and one of its providers
# (Partner Center's invitation "includes delegated admin privileges": the receivers grant them).
# Keyword arguments: relationship (CustomerRelationship), actor (User), include_admin_access
# (bool: the reseller's choice on the invitation).
customer_relationship_accepted = Signal()
