from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def verification_panel(request: Any, membership: Any) -> tuple[str, dict[str, Any]] | None:
    """The reseller's verification status on the dashboard overview (one query)."""
    from portal.models import Organization

    from .models import VerificationCase

    if membership.organization.kind != Organization.Kind.RESELLER:
        return None
    case = (
        VerificationCase.objects.filter(organization=membership.organization).only("status").first()
    )
    if case is None:
        return None
    return (
        "verification/panel.html",
        {"status": case.status, "label": VerificationCase.Status(case.status).label},
    )


class VerificationConfig(AppConfig):
    name = "verification"

    def ready(self) -> None:
        from portal.dashboard import register_panel

        register_panel(verification_panel, order=20)
