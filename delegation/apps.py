from django.apps import AppConfig


class DelegationConfig(AppConfig):
    name = "delegation"

    def ready(self) -> None:
        from portal.audit import register_event_types
        from portal.delegation import register_delegation_source

        from .events import AuditType
        from .gdap_selectors import gdap_access

        register_event_types(AuditType)
        register_delegation_source(gdap_access)
