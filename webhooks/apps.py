from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self) -> None:
        from portal.audit import register_audit_hook, register_event_types

        from .events import AuditType
        from .services import webhook_deliveries_for_events

        register_event_types(AuditType)
        # The transactional outbox: a subscribed event writes its deliveries in its own
        # transaction (rolled back with it).
        register_audit_hook(webhook_deliveries_for_events)

        from django.utils.translation import gettext_lazy as _

        from portal.navigation import SETTINGS, NavEntry, register_nav
        from portal.policy import Action

        register_nav(
            NavEntry(
                _("Webhooks"),
                "webhooks:endpoints",
                Action.MANAGE_WEBHOOKS,
                order=85,
                section=SETTINGS,
            ),
        )
