from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"

    def ready(self) -> None:
        from portal.audit import register_event_types

        from .events import AuditType

        register_event_types(AuditType)

        from portal.dashboard import register_panel

        from .panels import agreement_panel, enrollment_draft_panel

        register_panel(enrollment_draft_panel, order=10)
        register_panel(agreement_panel, order=20)

        from django.utils.translation import gettext_lazy as _

        from portal.navigation import SETTINGS, NavEntry, register_nav
        from portal.policy import Action

        register_nav(
            NavEntry(
                _("Legal info"),
                "account_settings:legal",
                Action.VIEW_LEGAL_INFO,
                order=10,
                section=SETTINGS,
            ),
            NavEntry(
                _("Identifiers"),
                "account_settings:identifiers",
                Action.MANAGE_IDENTIFIERS,
                order=20,
                section=SETTINGS,
            ),
            NavEntry(
                _("User management"),
                "account_settings:users",
                Action.VIEW_USERS,
                order=30,
                section=SETTINGS,
            ),
            NavEntry(
                _("Partner profile"),
                "account_settings:partner_profile",
                Action.VIEW_LEGAL_INFO,
                order=40,
                section=SETTINGS,
            ),
        )
