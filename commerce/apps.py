from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "commerce"

    def ready(self) -> None:
        from portal.audit import register_event_types

        from .events import AuditType

        register_event_types(AuditType)

        from portal.sections import register_section

        from .sections import customer_orders_section

        register_section("customer_detail", customer_orders_section, order=20)
        self._register_lists()

        from .export_kinds import register_exports

        register_exports()

    def _register_lists(self) -> None:
        """The Subscriptions and Billing lists in the navigation."""
        from django.utils.translation import gettext_lazy as _

        from portal.navigation import NavEntry, register_nav
        from portal.policy import Action

        register_nav(
            NavEntry(
                _("Subscriptions"), "commerce:subscriptions", Action.VIEW_SUBSCRIPTIONS, order=25
            ),
            NavEntry(_("Billing"), "commerce:billing", Action.VIEW_BILLING, order=60),
        )
