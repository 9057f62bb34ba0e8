"""Who calls /api/v1/: an API client, by its bearer token (OAuth2 client credentials).

The token's client becomes a membership of its organization holding the client's roles (those
the token was granted, of the client's): the pages' policy table (`portal.policy.can`) decides
every call through it, so the API has no rule of its own. The membership is built, never saved,
as `portal.delegation` builds a partner's in a customer's account."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.oauth2_validators import OAuth2Validator
from rest_framework.exceptions import AuthenticationFailed

from portal.models import Membership, User
from portal.ratelimit import rate_limit_window

from .caller_cache import (
    CallerLookup,
    bearer_checksum,
    caller_lookup,
    client_of_token,
    token_client_seen,
)
from .models import ApiClient
from .selectors import api_client_for_application
from .services import api_token_issued

# The per-client rate limit's action in PORTAL_RATE_LIMITS (api/throttling.py).
RATE_ACTION = "api_client"


@dataclass(frozen=True)
class ApiCaller:
    client: ApiClient
    membership: Membership
    # The call's look-up in the caller cache (api/caller_cache.py), None when it is off.
    cached: CallerLookup | None = None
    # The rate limit's use of this call, counted with the look-up: (counter, count).
    counted: tuple[str, int] | None = None


def client_membership(client: ApiClient, roles: set[str]) -> Membership:
    """A membership of the client's organization with exactly `roles`. Its user is the Global
    admin who created the client (what a service records as the sender of an invitation, say;
    the audit names the client beside), never with that person's own roles: the services' look-up
    answers this membership while the call runs (`portal.policy.acting_membership`). That user
    is read when something asks for it (a write, a staff-only check), not for a read. A client
    whose creator was deleted keeps an unsaved user: it reads, and no service accepts it."""
    if client.created_by_id is None:
        membership = Membership(organization=client.organization, user=User(is_staff=False))
    else:
        membership = Membership(organization=client.organization, user_id=client.created_by_id)
    membership.delegated_roles = frozenset(roles)
    membership.for_api_client = True
    return membership


class ApiClientAuthentication(OAuth2Authentication):
    """A valid bearer token of an active client; a revoked or expired client is refused at
    once, whatever its tokens' own expiry. A token seen before is answered from the caller
    cache (api/caller_cache.py: no query); else django-oauth-toolkit checks it in the database
    and the answer is recorded."""

    def authenticate(self, request):
        checksum = bearer_checksum(request.META)
        cached = None
        known = None
        if checksum:
            # A token this process has seen: its client's rate-limit use is counted in the
            # look-up's round trip (api/throttling.py takes it when the client is the same).
            known = client_of_token(checksum)
            window = rate_limit_window(action=RATE_ACTION, key=str(known)) if known else None
            cached = caller_lookup(checksum, window)
        hit = cached.hit() if cached is not None else None
        client: ApiClient | None
        if hit is not None:
            client, scope = hit
        else:
            if cached is not None and not cached.prepare_miss():
                cached = None
            found = super().authenticate(request)
            if found is None:
                return None
            _user, token = found
            client = api_client_for_application(token.application_id)
            scope = token.scope
            # Not a token bound to a resource (RFC 8707): that is checked against each URL.
            if (
                cached is not None
                and client is not None
                and client.is_active()
                and not getattr(token, "resource", None)
            ):
                cached.remember(client, token.expires, scope)
        if client is None or not client.is_active():
            raise AuthenticationFailed(_("This API client was revoked or has expired."))
        roles = set(client.roles) & set(scope.split())
        if checksum:
            token_client_seen(checksum, client.pk)
        return AnonymousUser(), ApiCaller(
            client=client,
            membership=client_membership(client, roles),
            cached=cached,
            counted=cached.counted if cached is not None and known == client.pk else None,
        )


class ClientCredentialsValidator(OAuth2Validator):
    """Tokens only for an active API client, with scopes among its roles (all of them when the
    request names none); each grant is audited with the client as the actor."""

    def authenticate_client(self, request, *args, **kwargs):
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        client = api_client_for_application(request.client.pk)
        if client is None or not client.is_active():
            return False
        request.api_client = client
        return True

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        client = getattr(request, "api_client", None)
        return list(client.roles) if client is not None else []

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        api_client = getattr(request, "api_client", None)
        return api_client is not None and set(scopes) <= set(api_client.roles)

    def save_bearer_token(self, token, request, *args, **kwargs):
        super().save_bearer_token(token, request, *args, **kwargs)
        api_token_issued(client=request.api_client, scopes=list(request.scopes))
