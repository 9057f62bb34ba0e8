from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _l


def verification_panel(request: Any, membership: Any) -> tuple[str, dict[str, Any]] | None:
    """The reseller's verification status on the dashboard overview (one query)."""
    from portal.models import Organization

    from .models import VerificationCase
    from .selectors import case_status_for

    if membership.organization.kind != Organization.Kind.RESELLER:
        return None
    status = case_status_for(organization=membership.organization)
    if status is None:
        return None
    return (
        "verification/panel.html",
        {"status": status, "label": VerificationCase.Status(status).label},
    )


def review_queue_panel(request: Any, membership: Any) -> tuple[str, dict[str, Any]] | None:
    """Verification admins see what waits in the queue (capped counts, cached: at most one
    query)."""
    from portal.paging import COUNT_CAP
    from portal.policy import Action, can

    from .models import PARTNER_WAIT_STATUSES, VerificationCase
    from .selectors import case_queue_counts_all_tenants

    if not can(membership, Action.REVIEW_VERIFICATION):
        return None
    counts = case_queue_counts_all_tenants()
    Status = VerificationCase.Status
    return (
        "verification/review_panel.html",
        {
            "in_review": counts[Status.IN_REVIEW],
            "checking": counts[Status.CHECKING],
            # Past the cap, a sum of two capped counts is still "10,000+".
            "waiting_on_partners": min(
                sum(counts[status] for status in PARTNER_WAIT_STATUSES), COUNT_CAP + 1
            ),
            "cap": COUNT_CAP,
        },
    )


class VerificationConfig(AppConfig):
    name = "verification"

    def ready(self) -> None:
        from portal.audit import register_event_types

        from .events import AuditType

        register_event_types(AuditType)

        from portal.dashboard import register_panel

        register_panel(verification_panel, order=20)
        register_panel(review_queue_panel, order=20)

        from portal.operations import Reading, register_reading

        from .selectors import cases_past_sla_count

        register_reading(
            Reading(
                key="verification_cases_past_sla",
                label=_l("Verification cases past their deadline"),
                help="Cases waiting on reviewers longer than the escalation deadline.",
                read=cases_past_sla_count,
                alert_above=0,
            )
        )

        from enrollment.signals import enrollment_submitted, legal_profile_changed

        from .receivers import open_case_on_enrollment_submitted, reverify_on_legal_profile_changed

        enrollment_submitted.connect(
            open_case_on_enrollment_submitted, dispatch_uid="verification.open_case"
        )
        legal_profile_changed.connect(
            reverify_on_legal_profile_changed, dispatch_uid="verification.reverify"
        )

        from django.utils.translation import gettext_lazy as _

        from portal.navigation import NavEntry, register_nav
        from portal.policy import Action

        register_nav(
            NavEntry(_("Verification"), "verification:status", Action.VIEW_VERIFICATION, order=60),
            NavEntry(
                _("Verification queue"),
                "verification:review_queue",
                Action.REVIEW_VERIFICATION,
                order=70,
            ),
        )
