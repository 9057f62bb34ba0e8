from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoCSPMiddleware
from django.middleware.csp import get_nonce
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.shortcuts import redirect
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.csp import CSP, build_policy
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _

from .outbox import request_origin
from .tenancy import membership_for_request
from .types import PortalRequest

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's LocaleMiddleware (the cookie, then Accept-Language, then LANGUAGE_CODE), without
    the work that only `i18n_patterns` needs while the URL configuration has none (the
    portal's): Django looks for a language prefix in every path twice a request, and a path
    like `/customers/` costs a failed language look-up each time (issue 21). With
    `i18n_patterns` in use it is Django's unchanged."""

    def process_request(self, request: HttpRequest) -> None:
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if is_language_prefix_patterns_used(urlconf)[0]:
            super().process_request(request)
            return
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if is_language_prefix_patterns_used(urlconf)[0]:
            return super().process_response(request, response)
        if response.has_header("Vary"):
            patch_vary_headers(response, ("Accept-Language",))
        else:
            response.headers["Vary"] = "Accept-Language"
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


# The policies built from each configuration without a nonce: (configuration, header value) by
# the configuration's id (the configuration is kept, so its id is not reused while cached).
_POLICIES: dict[int, tuple[Any, str]] = {}
_POLICIES_MAX = 64


def _uses_nonce(config: Any) -> bool:
    return any(
        values == CSP.NONCE or (isinstance(values, list | tuple | set) and CSP.NONCE in values)
        for values in config.values()
    )


def csp_policy(config: Any, nonce: Any) -> str:
    """`build_policy(config, nonce)`, built once per configuration that has no nonce: its
    header is the same for every response."""
    cached = _POLICIES.get(id(config))
    if cached is not None and cached[0] is config:
        return cached[1]
    if _uses_nonce(config):
        return build_policy(config, nonce)
    policy = build_policy(config)
    if len(_POLICIES) < _POLICIES_MAX:
        _POLICIES[id(config)] = (config, policy)
    return policy


class ContentSecurityPolicyMiddleware(DjangoCSPMiddleware):
    """Django's, the header built once per configuration rather than for every response (the
    portal's policy has no nonce; one that has is built per response, as Django does)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        nonce = get_nonce(request)
        sentinel = object()
        if (csp_config := getattr(response, "_csp_config", sentinel)) is sentinel:
            csp_config = settings.SECURE_CSP
        if (csp_ro_config := getattr(response, "_csp_ro_config", sentinel)) is sentinel:
            csp_ro_config = settings.SECURE_CSP_REPORT_ONLY
        for header, config in (
            (CSP.HEADER_ENFORCE, csp_config),
            (CSP.HEADER_REPORT_ONLY, csp_ro_config),
        ):
            # A view's own header is kept; an empty configuration adds none (as Django's).
            if config and header not in response:
                response.headers[str(header)] = csp_policy(config, nonce)
        return response


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
            if user.language != getattr(request, "LANGUAGE_CODE", None):
                translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        # Content-Language: LocaleMiddleware's, from the language active when the answer leaves
        # (no layer between the two changes it).
        return self.get_response(request)


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
