from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy

from .client_ip import client_ip
from .domains import validate_work_email
from .mfa import mfa_required_for
from .models import User
from .outbox import outbox_write, preheader_of, site_origin
from .selectors import email_language
from .services import user_set_language
from .templatetags.portal_formats import one_full_stop

# The name allauth's emails greet and sign with ("Hello from CSP Partner Portal!", "Ciao da
# Portale partner CSP!") and put before their subjects: allauth asks django.contrib.sites, which
# the portal does not install (one site; its origin is SITE_URL or the request's).
SITE_NAME = gettext_lazy("CSP Partner Portal")


@dataclass(frozen=True)
class SiteName:
    name: str
    domain: str


# The button for the link of an email's main action, by email kind.
BUTTON_LABELS = {
    "password_reset_key": gettext_lazy("Set a new password"),
    "email_confirmation": gettext_lazy("Confirm the email address"),
    "email_confirmation_signup": gettext_lazy("Confirm the email address"),
}
_URL = re.compile(r"https?://\S+")
_TRAILING_URL = re.compile(r"^(?P<text>.*\S)\s+(?P<url>https?://\S+)$", re.S)


def _paragraphs(text: str, *, main_action: bool) -> list[dict[str, str]]:
    """allauth's text email as paragraphs for the HTML layout. A paragraph that is only a link
    becomes the layout's button; so does the link that ends a paragraph (allauth's "To confirm
    this is correct, go to <link>") when the email has a main action."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        block = block.strip()
        trailing = _TRAILING_URL.match(block) if main_action else None
        if _URL.fullmatch(block):
            paragraphs.append({"url": block})
        elif trailing:
            paragraphs += [{"text": trailing["text"]}, {"url": trailing["url"]}]
        elif block:
            paragraphs.append({"text": block})
    return paragraphs


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

    def format_email_subject(self, subject: str) -> str:
        """The portal's name in brackets, in the email's language, before the subject."""
        return f"[{SITE_NAME}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's emails (sign-up confirmation, password reset, account notices) in the
        portal's email layout, signed with the portal's name, through the outbox, in the
        language the portal's one rule picks (the page's language is the sender's choice)."""
        user = context.get("user")
        language = email_language(
            user=user if isinstance(user, User) else None,
            email=email,
            chosen=translation.get_language() or "",
        )
        kind = template_prefix.rsplit("/", 1)[-1]
        with translation.override(language):
            site = SiteName(name=str(SITE_NAME), domain=urlsplit(site_origin()).netloc)
            message = self.render_mail(
                template_prefix, email, {"email": email, **context, "current_site": site}
            )
            subject, text = str(message.subject), str(message.body)
            # The greeting ("Hello from ...!") says nothing in an inbox's preview line.
            body = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[-1]
            html = render_to_string(
                "emails/account.html",
                {
                    "paragraphs": _paragraphs(text, main_action=kind in BUTTON_LABELS),
                    "button_label": BUTTON_LABELS.get(kind, gettext_lazy("Open the link")),
                    "preheader": preheader_of(body),
                },
            )
        outbox_write(
            key=f"allauth:{template_prefix}:{secrets.token_hex(16)}",
            to=email,
            template=template_prefix,
            context={},
            language=language,
            organization=None,
            subject=one_full_stop(subject),
            text=one_full_stop(text),
            html=one_full_stop(html),
        )


class PortalMFAAdapter(DefaultMFAAdapter):
    """Someone who must sign in with a second factor cannot switch it off (only replace the
    recovery codes); the same rule as the set-up page (`portal/mfa.py`)."""

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        return not mfa_required_for(authenticator.user)
