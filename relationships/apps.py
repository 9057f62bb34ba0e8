from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _l


def relationships_panel(request: Any, membership: Any) -> tuple[str, dict[str, Any]] | None:
    """How many indirect partners the organization works with (one capped count)."""
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


def invitation_inbox_panel(request: Any, membership: Any) -> tuple[str, dict[str, Any]] | None:
    """Invitations waiting for this company's answer (a reseller's from providers, a customer's
    from resellers): one query, shown only when there is one. `inbox_page`'s page, read as
    plain rows with its SQL compiled once (`PendingInvitationRows`)."""
    from portal.models import Organization
    from portal.paging import bounded_page

    from .selectors import PendingInvitationRows
    from .views.inbox import InboxGdapForm

    organization = membership.organization
    if organization.kind not in (Organization.Kind.RESELLER, Organization.Kind.CUSTOMER):
        return None
    inbox = bounded_page(
        PendingInvitationRows(organization=organization),  # type: ignore[arg-type]
        request.GET.get("inbox_page"),
        per_page=5,
        counted=False,
    )
    if not inbox:
        return None
    for invitation in inbox.object_list:
        if invitation.include_admin_access:  # a customer's, asking for granular admin roles
            invitation.gdap_form = InboxGdapForm(invitation)
    return ("relationships/inbox_panel.html", {"inbox": inbox})


class RelationshipsConfig(AppConfig):
    name = "relationships"

    def ready(self) -> None:
        from portal.audit import register_event_types

        from .events import AuditType

        register_event_types(AuditType)

        from portal.dashboard import register_panel

        register_panel(relationships_panel, order=40)
        register_panel(invitation_inbox_panel, order=35)

        from .exports import register_exports

        register_exports()

        from portal.operations import Reading, register_reading

        from .selectors import bulk_batches_sending_count

        register_reading(
            Reading(
                key="bulk_invitation_batches_sending",
                label=_l("Bulk invitation files being sent"),
                help="Bulk invitation files confirmed and not finished.",
                read=bulk_batches_sending_count,
            )
        )

        from django.utils.translation import gettext_lazy as _

        from portal.models import Organization
        from portal.navigation import NavEntry, register_nav
        from portal.policy import Action

        Kind = Organization.Kind
        register_nav(
            NavEntry(_("Customers"), "relationships:customers", Action.VIEW_CUSTOMERS, order=20),
            NavEntry(
                _("Find a provider"),
                "relationships:find_provider",
                Action.AUTHORIZE_PROVIDER,
                order=30,
            ),
            # Providers see their resellers, resellers their providers: the same action, two pages.
            NavEntry(
                _("Indirect providers"),
                "relationships:indirect_providers",
                Action.VIEW_RELATIONSHIPS,
                kinds={Kind.RESELLER},
                order=40,
            ),
            NavEntry(
                _("Invitations"),
                "relationships:received_invitations",
                Action.VIEW_DASHBOARD,
                kinds={Kind.CUSTOMER},
                order=45,
            ),
            NavEntry(
                _("Indirect resellers"),
                "relationships:indirect_resellers",
                Action.INVITE_RESELLER,
                kinds={Kind.PROVIDER},
                order=50,
            ),
        )
