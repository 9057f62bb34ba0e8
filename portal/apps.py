from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "CSP Partner Portal"

    def ready(self) -> None:
        from .scale import register_scale_step, seed_portal

        register_scale_step("portal", seed_portal, order=10)
