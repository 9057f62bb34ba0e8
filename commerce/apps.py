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
