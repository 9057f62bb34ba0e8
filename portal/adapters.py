from __future__ import annotations

import secrets
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from .client_ip import client_ip
from .domains import validate_work_email
from .mfa import mfa_required_for
from .outbox import outbox_write
from .services import user_set_language


def _chosen_language(request) -> str | None:
    """The language the visitor chose with the switch (its cookie), if any."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) if request else None
    return chosen if chosen in dict(settings.LANGUAGES) else None


class PortalAccountAdapter(DefaultAccountAdapter):
    """Work emails only; allauth's own emails go through the outbox like every other."""

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        try:
            validate_work_email(email)
        except ValidationError as exc:
            raise ValidationError(exc.messages[0]) from exc
        return email.lower()

    def save_user(self, request, user, form, commit=True):
        """A new account starts in the language the person was using when signing up."""
        user.language = _chosen_language(request) or user.language
        return super().save_user(request, user, form, commit=commit)

    def login(self, request, user) -> None:
        """A language picked before signing in (top bar) becomes the account's language."""
        super().login(request, user)
        chosen = _chosen_language(request)
        if chosen and chosen != user.language:
            user_set_language(user=user, language=chosen)
            translation.activate(chosen)

    def get_client_ip(self, request) -> str:
        """The portal's one client-IP rule, so allauth's rate limits count what ours count."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine the client IP address")
        return ip

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        language = translation.get_language() or "en"
        user = context.get("user")
        if user is not None and getattr(user, "language", None):
            language = user.language
        with translation.override(language):
            message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []) or []:
            if mimetype == "text/html":
                html = content
        outbox_write(
            key=f"allauth:{template_prefix}:{secrets.token_hex(16)}",
            to=email,
            template=template_prefix,
            context={},
            language=language,
            organization=None,
            subject=message.subject,
            text=message.body,
            html=html,
        )


class PortalMFAAdapter(DefaultMFAAdapter):
    """Someone who must sign in with a second factor cannot switch it off (only replace the
    recovery codes); the same rule as the set-up page (`portal/mfa.py`)."""

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        return not mfa_required_for(authenticator.user)
