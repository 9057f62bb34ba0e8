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

        from .audit_log import audit_export_source_for
        from .exports import ExportKind, register_export

        register_export(
            ExportKind(
                name="audit_log",
                title=_("Audit log"),
                filename="audit-log.csv",
                list_url="portal:audit_log",
                action=Action.VIEW_AUDIT_LOG,
                source=audit_export_source_for,
            )
        )
