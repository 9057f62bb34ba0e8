"""What enrolment tells the apps that build on it, without knowing them.

Both signals are sent inside the service's transaction with `send()` (not `send_robust()`):
a receiver's failure rolls the whole write back, as a direct call would. Receivers are
connected in their app's AppConfig.ready() (verification's in verification/receivers.py)."""

from __future__ import annotations

from django.dispatch import Signal

# Register now: the organization was submitted and its legal profile written.
# Keyword arguments: organization (Organization), actor (User).
enrollment_submitted = Signal()

# A Global admin changed the legal info after enrolment.
# Keyword arguments: organization, actor (User), fields (list[str]: the changed fields).
legal_profile_changed = Signal()
