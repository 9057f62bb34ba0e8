from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "CSP Partner Portal"

    def ready(self) -> None:
        from allauth.mfa.models import Authenticator
        from django.db.models.signals import post_delete, post_save
        from django.utils.translation import gettext_lazy as _

        # Prometheus: each connection's query counter and the Celery task signals, in every
        # process (web and worker).
        # `field__any_of=ids` (portal/lookups.py): a long list of ids as one array parameter.
        from . import (
            lookups,  # noqa: F401
            metrics,  # noqa: F401
            pagememo,  # noqa: F401  (each connection reports the tables it changes)
        )
        from . import request_context as context
        from .models import Membership, Organization, User

        # The request context cache (portal/request_context.py) forgets what changed.
        for model, receiver in (
            (User, context.user_saved),
            (Membership, context.membership_saved),
            (Organization, context.organization_saved),
            (Authenticator, context.authenticator_saved),
        ):
            for signal in (post_save, post_delete):
                signal.connect(receiver, sender=model, dispatch_uid=f"portal.context.{model}")

        # Each language's gettext answered once per message (portal/gettext_memo.py).
        from .gettext_memo import memoize_languages

        memoize_languages()

        from .audit import register_event_types
        from .events import AuditType

        register_event_types(AuditType)

        from .navigation import SETTINGS, NavEntry, register_nav
        from .policy import Action

        register_nav(
            NavEntry(
                _("Dashboard"), "portal:dashboard", Action.VIEW_DASHBOARD, order=10, in_draft=True
            ),
            NavEntry(_("Operations"), "portal:operations", Action.VIEW_OPERATIONS, order=95),
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
