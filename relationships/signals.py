"""What the relationships tell the apps that build on them, without knowing them.

Sent inside the service's transaction with `send()` (not `send_robust()`): a receiver's failure
rolls the whole write back, as a direct call would. Receivers are connected in their app's
AppConfig.ready() (delegation's in delegation/receivers.py)."""

from __future__ import annotations

from django.dispatch import Signal

# A customer accepted a reseller relationship with a reseller and one of its providers.
# Keyword arguments: relationship (CustomerRelationship), actor (User, the customer's Global
# admin), approve_gdap (bool: the reseller asked for granular admin roles on the invitation and
# the customer left the box ticked as it accepted; delegation's receiver records them approved
# by `actor`). Accepting grants no delegated admin (DAP) any more: GDAP first, as Partner Center.
customer_relationship_accepted = Signal()
