from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "CSP Partner Portal"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from .navigation import SETTINGS, NavEntry, register_nav
        from .policy import Action

        register_nav(
            NavEntry(
                _("Dashboard"), "portal:dashboard", Action.VIEW_DASHBOARD, order=10, in_draft=True
            ),
            NavEntry(
                _("Audit log"),
                "portal:audit_log",
                Action.VIEW_AUDIT_LOG,
                order=90,
                section=SETTINGS,
            ),
        )
