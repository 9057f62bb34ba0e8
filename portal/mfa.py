"""Who must sign in with a second factor, and the door every page goes through to enforce it.

One rule (`mfa_setup_required`): with `PORTAL_REQUIRE_MFA` on (production; off in the demo and
the unit tests), staff and superusers (the operator admin), verification admins and the Global
admins of every organization need an authenticator app. `MFASetupMiddleware` sends such a user
who has none to allauth's TOTP activation page (which then shows their recovery codes) before
any other page; allauth's own pages stay reachable so they can set it up, re-authenticate or
sign out. Signing in itself is allauth's flow, whose TOTP stage asks for the code."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Membership, User
from .request_context import request_context

SETUP_URL_NAME = "mfa_activate_totp"
# The page they were going to (an invitation link, say), offered once the set-up is done.
NEXT_SESSION_KEY = "portal_mfa_next"
# The user id whose second factor this session has seen set up: such a user cannot remove it
# (PortalMFAAdapter), so later requests of the session skip the query.
SATISFIED_SESSION_KEY = "portal_mfa_satisfied"


def _must_use_mfa() -> Q:
    privileged = Membership.objects.filter(user=OuterRef("pk")).filter(
        Q(global_admin=True) | Q(verification_admin=True)
    )
    return Q(is_staff=True) | Q(is_superuser=True) | Q(Exists(privileged))


def mfa_required_for(user: User) -> bool:
    """True when this user must sign in with a second factor (one query)."""
    if not settings.PORTAL_REQUIRE_MFA or not user.is_authenticated:
        return False
    return User.objects.filter(pk=user.pk).filter(_must_use_mfa()).exists()


def _mfa_state(user: User) -> tuple[bool, bool]:
    """(must use a second factor, has an authenticator app), in one query."""
    has_authenticator = Authenticator.objects.filter(user=OuterRef("pk")).exclude(
        type=Authenticator.Type.RECOVERY_CODES
    )
    state = (
        User.objects.filter(pk=user.pk)
        .annotate(must=_must_use_mfa(), has=Exists(has_authenticator))
        .values_list("must", "has")
        .first()
    )
    return state or (False, False)


def _cached_mfa_state(request: HttpRequest, user: User) -> tuple[bool, bool]:
    """`_mfa_state()` from the request context cache (forgotten when the user, a membership or
    an authenticator changes: portal/request_context.py)."""
    context = request_context(request)
    state = context.mfa_state() if context is not None else None
    if state is None:
        if context is not None:
            context.prepare_miss()
        state = _mfa_state(user)
        if context is not None:
            context.remember(mfa=state)
    return state


def mfa_setup_required(user: User, request: HttpRequest | None = None) -> bool:
    """True when this user must have a second factor and has none yet (one query; none when
    `request`'s context cache already holds the answer, as the middleware left it)."""
    if not settings.PORTAL_REQUIRE_MFA or not user.is_authenticated:
        return False
    must, has = _cached_mfa_state(request, user) if request is not None else _mfa_state(user)
    return must and not has


def redirect_to_mfa_setup(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and not request.headers.get("HX-Request"):
        request.session[NEXT_SESSION_KEY] = request.get_full_path()
    messages.warning(
        request,
        _(
            "Your role requires two-step sign-in. Set up an authenticator app to continue: "
            "scan the code, enter the 6-digit code it shows, then keep the recovery codes "
            "somewhere safe."
        ),
        fail_silently=True,
    )
    return redirect(SETUP_URL_NAME)


class MFASetupMiddleware:
    """Nothing but allauth's account pages (and static files, the language switch) until a
    user who must use a second factor has set one up."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self._open_prefixes: tuple[str, ...] | None = None

    def open_prefixes(self) -> tuple[str, ...]:
        if self._open_prefixes is None:
            accounts = reverse("account_login").rsplit("/", 2)[0] + "/"  # allauth's pages
            self._open_prefixes = (
                accounts,
                reverse("portal:set_language"),
                "/" + settings.STATIC_URL.lstrip("/"),
            )
        return self._open_prefixes

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.PORTAL_REQUIRE_MFA
            and user.is_authenticated
            and request.session.get(SATISFIED_SESSION_KEY) != user.pk
            and not request.path.startswith(self.open_prefixes())
        ):
            must, has = _cached_mfa_state(request, user)
            if must and not has:
                return redirect_to_mfa_setup(request)
            if must:
                request.session[SATISFIED_SESSION_KEY] = user.pk
        return self.get_response(request)
