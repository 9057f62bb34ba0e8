"""`manage.py seed_scale`'s steps, one module per app, in the order they run: each step receives
the `ScaleRun` (run.py) and may use the rows made by the steps before it."""

from __future__ import annotations

from .commerce import seed_commerce
from .enrollment import seed_enrollment
from .invoicing import seed_invoicing
from .portal import seed_portal
from .relationships import seed_relationships
from .run import ScaleStep
from .verification import seed_verification

SCALE_STEPS: list[tuple[str, ScaleStep]] = [
    ("portal", seed_portal),
    ("enrollment", seed_enrollment),
    ("verification", seed_verification),
    ("relationships", seed_relationships),
    ("commerce", seed_commerce),
    ("invoicing", seed_invoicing),
]
