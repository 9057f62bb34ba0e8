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
        # The caller cache (api/caller_cache.py) forgets what changed.
        from django.db.models.signals import post_delete, post_save
        from oauth2_provider.models import AccessToken, Application

        from portal.models import Market, Organization, User

        from . import schema  # noqa: F401  (the OpenAPI security scheme of the authentication)
        from .caller_cache import caller_source_changed
        from .models import ApiClient

        for model in (ApiClient, AccessToken, Application, Organization, Market):
            for signal in (post_save, post_delete):
                signal.connect(
                    caller_source_changed, sender=model, dispatch_uid=f"api.callers.{model}"
                )
        post_delete.connect(caller_source_changed, sender=User, dispatch_uid="api.callers.user")
