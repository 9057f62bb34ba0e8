"""The demo data of DOMAIN.md, one module per app it fills; `manage.py seed_demo` runs them in
dependency order. Each is idempotent: run it any number of times."""

from __future__ import annotations

from . import (
    commerce,
    delegation,
    enrollment,
    invoicing,
    operations,
    portal,
    relationships,
    verification,
)


def seed_demo() -> None:
    """The organizations and users first, then what each app adds to them."""
    portal.seed()
    enrollment.seed()
    verification.seed()
    relationships.seed()
    commerce.seed()
    invoicing.seed()  # charges, usage and the previous month's invoices
    delegation.seed()
    operations.seed()  # a failed email for the operations page
