from django.apps import AppConfig


class ApiConfig(AppConfig):
    """/api/v1/ (Django REST framework) and the organizations' API clients (OAuth2 client
    credentials, django-oauth-toolkit) at /settings/api-clients/."""

    name = "api"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from portal.audit import register_event_types
        from portal.navigation import SETTINGS, NavEntry, register_nav
        from portal.policy import Action

        from .events import AuditType

        register_event_types(AuditType)
        register_nav(
            NavEntry(
                _("API clients"),
                "api:clients",
                Action.MANAGE_API_CLIENTS,
                order=60,
                section=SETTINGS,
            ),
        )
        from . import schema  # noqa: F401  (the OpenAPI security scheme of the authentication)
