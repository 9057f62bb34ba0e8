from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def relationships_panel(request: Any, membership: Any) -> tuple[str, dict[str, Any]] | None:
    """How many indirect partners the organization works with (one query)."""
    from portal.models import Organization
    from portal.policy import Action, can

    from .selectors import active_relationship_count

    org = membership.organization
    if org.kind not in (Organization.Kind.RESELLER, Organization.Kind.PROVIDER):
        return None
    if not can(membership, Action.VIEW_RELATIONSHIPS):
        return None
    count = active_relationship_count(organization=org)
    return (
        "relationships/panel.html",
        {"count": count, "is_reseller": org.kind == Organization.Kind.RESELLER},
    )


class RelationshipsConfig(AppConfig):
    name = "relationships"

    def ready(self) -> None:
        from portal.dashboard import register_panel

        register_panel(relationships_panel, order=40)

        from portal.scale import register_scale_step

        from .scale import seed_relationships

        register_scale_step("relationships", seed_relationships, order=40)
