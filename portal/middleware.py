from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _

from .outbox import request_origin
from .tenancy import membership_for_request
from .types import PortalRequest

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's (it persists per user)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, SimpleLazyObject):
            # Resolved here (the first layer that needs it) and handed on as the plain object:
            # the layers and the view after this read it dozens of times, each read through
            # the lazy proxy a function call more.
            if user._wrapped is empty:
                user._setup()
            user = request.user = user._wrapped
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class TenantMiddleware:
    """Sets `request.membership` and `request.organization` (None when signed out).

    A write (POST, ...) sent from a customer's account the user administered until this request
    (the access was removed, expired, or the context sat idle) is refused with the reason and
    goes no further: it is never made in the partner's own name."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = membership_for_request(request)
        ended = getattr(request, "delegation_ended", None)
        if ended and request.method not in SAFE_METHODS:
            messages.error(request, _("%(reason)s Nothing was saved.") % {"reason": ended})
            return redirect("portal:dashboard")
        portal_request = cast(PortalRequest, request)  # gains the attributes declared there
        portal_request.membership = membership
        portal_request.organization = membership.organization if membership else None
        return self.get_response(portal_request)


class RequestOriginMiddleware:
    """Emails queued while serving a request link back to the origin it was served on (only a
    host ALLOWED_HOSTS accepts: `get_host()` refuses any other)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_origin.set(request)  # the origin is worked out when an email needs it
        try:
            return self.get_response(request)
        finally:
            request_origin.reset(token)


class MessageMiddleware(DjangoMessageMiddleware):
    """Django's, with the message storage made when a message is first added or read: a
    request that does neither (most GETs that render no page: redirects, exports, the API)
    does not build its cookie signer and session storage, and has nothing to store."""

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        storage = getattr(request, "_messages", None)
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:
            return response  # never used: nothing added, nothing read, nothing to store
        return super().process_response(request, response)
