"""Who is asking, without asking the database: the signed-in user, the active membership with its
organization and country, the delegated context and the second-factor state, read from the cache
in one round trip per request.

Where it lives: the default cache (Redis in production, shared by every web process; `locmem`
in the unit tests). It is on where that cache is shared (`PORTAL_CONTEXT_CACHE`, on with Redis):
the embedded default's in-process cache would not hear a change made by another process. The
session itself is `cached_db` there (written through to the database), read by `portal.sessions`
in the same `get_many` as the context keys the session named on its previous request. So a
signed-in request costs one cache round trip and no query before its view.

- `portal:ctx:v1:own:<user>:<chosen org>`: the user row, the member's own membership (with
  organization and country) for the organization the session chose, and `(must, has)` of the
  second factor (`portal.mfa`).
- `portal:ctx:v1:del:<user>:<customer>`: the customer and the delegated membership while the user
  administers that customer on a partner's behalf (`portal.delegation`).
- `portal:ctx:v1:gen:u:<user>` and `portal:ctx:v1:gen:delegation`: generation tokens. Each entry
  records the tokens it was built under and counts only while they are still the current ones;
  invalidating is deleting a token (the next request finds none, reads the database, starts a
  new one). A request reads its entries and the tokens with one `get_many`.

What invalidates. Model signals, connected in `portal.apps` and `delegation.apps`: these rows
change in a dozen services of five apps, the operator admin, data migrations and management
commands, all through `save()`/`delete()` (a queryset's `delete()` sends them too), so a signal
is the one door none of them can forget; a bulk `.update()` (none today but the demo seed) must
call `context_changed_for_users` / `context_changed_for_organization` itself:

- a user saved or deleted (active flag, email, language, staff; the password too, though a
  cached user is only trusted when the session's hash matches it: any other session is checked
  against the database, which signs it out), an authenticator added or removed: that user's
  token;
- a membership added, saved (roles) or removed: its user's token;
- an organization saved or deleted (name, kind, status, country): the tokens of its members and
  the delegation token;
- admin access (DAP), a GDAP relationship, a provider or customer relationship saved or
  deleted: the delegation token (every delegated context is read again). A GDAP relationship
  that reaches its end date with no write ends the cached context at that time too
  (`Membership.delegated_until`).

A token is deleted at once and again when the transaction commits, so a request that read the
database before the commit cannot keep its answer. Writes made in a customer's account still
check their access under lock from the database (`portal.delegation.delegated_access_lock`):
the cache serves reads only. While Redis is unreachable the context is read from the database
(never from the in-process fallback of `portal.cache`, which other processes do not see), and
an invalidation that could not reach Redis is made again before Redis serves anything
(`portal.cache.FORGET_ON_RECOVERY`).
Entries also expire after `CONTEXT_TTL_SECONDS`: a door that bypassed the signals cannot keep
an old answer longer than that."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject, empty

from .cache import ResilientRedisCache
from .delegation import ACTING_FOR_SESSION_KEY
from .session_identities import remember_identity

# Entries hold pickled model instances: a release that changes what they hold bumps this.
CONTEXT_VERSION = 1
PREFIX = f"portal:ctx:v{CONTEXT_VERSION}"
CONTEXT_TTL_SECONDS = 300
# A token outlives the entries built under it; one that expired only costs a miss.
TOKEN_TTL_SECONDS = 86400
DELEGATION_TOKEN = f"{PREFIX}:gen:delegation"
# The organization the member chose (`portal.tenancy` switches it); part of the cache key.
ORGANIZATION_SESSION_KEY = "portal_organization_id"


def _user_token_key(user_id: Any) -> str:
    return f"{PREFIX}:gen:u:{user_id}"


def _own_key(user_id: Any, chosen: Any) -> str:
    return f"{PREFIX}:own:{user_id}:{chosen or ''}"


def _delegated_key(user_id: Any, customer_id: Any) -> str:
    return f"{PREFIX}:del:{user_id}:{customer_id}"


def context_keys(user_id: Any, chosen: Any, acting_for: Any) -> list[str]:
    """The keys a signed-in request reads: its own entry and its user's token, and while it
    administers a customer, that delegated entry and the delegation token."""
    keys = [_own_key(user_id, chosen), _user_token_key(user_id)]
    if acting_for:
        keys += [_delegated_key(user_id, acting_for), DELEGATION_TOKEN]
    return keys


def context_cache_enabled() -> bool:
    return bool(getattr(settings, "PORTAL_CONTEXT_CACHE", False))


def shared_call(name: str, *args: Any) -> Any:
    """Call the cache, never its in-process fallback: None when Redis is unreachable. For what
    every process must see alike (this context, the API's callers: api/caller_cache.py)."""
    backend = caches["default"]
    if isinstance(backend, ResilientRedisCache):
        return backend.shared_call(name, *args)
    return getattr(backend, name)(*args)


def shared_get_many_counting(
    keys: list[str], counter: str, timeout: int
) -> tuple[dict[str, Any], int | None] | None:
    """`shared_call("get_many", keys)` and, on Redis, one more use on the counter `counter` in
    the same round trip (its count; None where the counter was not counted). None when Redis
    is unreachable."""
    backend = caches["default"]
    if isinstance(backend, ResilientRedisCache):
        return backend.get_many_counting(keys, counter, timeout)
    return backend.get_many(keys), None


_shared = shared_call


@dataclass
class RequestContext:
    """One request's view of the cache: what `get_many` found, and what to store at the end."""

    user_id: Any
    chosen: Any
    acting_for: Any
    found: dict[str, Any]
    pending: dict[str, Any] = field(default_factory=dict)

    @property
    def own_key(self) -> str:
        return _own_key(self.user_id, self.chosen)

    @property
    def user_token(self) -> str | None:
        return self.found.get(_user_token_key(self.user_id))

    def _own(self) -> dict[str, Any] | None:
        entry = self.pending.get(self.own_key) or self.found.get(self.own_key)
        if entry is None or self.user_token is None or entry.get("token") != self.user_token:
            return None
        return entry

    def user(self) -> Any:
        entry = self._own()
        return entry["user"] if entry else None

    def own_membership(self) -> tuple[bool, Any]:
        """(known, membership): known is False when the cache has no answer."""
        entry = self._own()
        if entry is None or "membership" not in entry:
            return False, None
        membership = entry["membership"]
        if entry is self.pending.get(self.own_key):
            # The copy to be stored keeps no user (the request sets `membership.user`).
            return True, _without_user(membership)
        return True, membership  # unpickled for this request alone: no copy needed

    def mfa_state(self) -> tuple[bool, bool] | None:
        entry = self._own()
        return entry.get("mfa") if entry else None

    def delegated(self, customer_id: Any) -> dict[str, Any] | None:
        key = _delegated_key(self.user_id, customer_id)
        entry = self.found.get(key)
        if (
            entry is None
            or self.user_token is None
            or entry.get("token") != self.user_token
            or entry.get("delegation") != self.found.get(DELEGATION_TOKEN)
            or self.found.get(DELEGATION_TOKEN) is None
        ):
            return None
        membership = entry["membership"]
        until = membership.delegated_until
        if until is not None and timezone.now() >= until:
            return None
        return entry

    def prepare_miss(self, *, delegation: bool = False) -> bool:
        """Call BEFORE reading the database on a miss: the tokens the answer will be recorded
        under (a new one where there is none), so a change committed after the read deletes
        the token the answer carries. False when the cache cannot be reached."""
        wanted = [_user_token_key(self.user_id)] + ([DELEGATION_TOKEN] if delegation else [])
        for key in wanted:
            if self.found.get(key) is None:
                token = secrets.token_hex(8)
                if _shared("add", key, token, TOKEN_TTL_SECONDS) is None:
                    return False
                current = _shared("get", key)
                if current is None:
                    return False
                self.found[key] = current
        return True

    def remember(self, **values: Any) -> None:
        """Record (part of) the own entry: the user, the membership, the second-factor state."""
        if "user" in values:
            values["user"] = _unwrap(values["user"])
        entry = self._own() or {}
        if self.user_token is None:
            return  # prepare_miss() found no cache
        if not entry and "user" not in values:
            return  # a partial entry without the user is of no use to the next request
        entry = {**entry, **values, "token": self.user_token}
        # A membership this request was given (and gave its user) is stored without the user.
        if "membership" in entry:
            entry["membership"] = _without_user(entry["membership"])
        self.pending[self.own_key] = entry

    def remember_delegated(self, customer: Any, membership: Any) -> None:
        if self.user_token is None or self.found.get(DELEGATION_TOKEN) is None:
            return  # prepare_miss(delegation=True) found no cache
        self.pending[_delegated_key(self.user_id, customer.pk)] = {
            "token": self.user_token,
            "delegation": self.found[DELEGATION_TOKEN],
            "customer": customer,
            "membership": _without_user(membership),
        }

    def store(self) -> None:
        if self.pending:
            _shared("set_many", self.pending, CONTEXT_TTL_SECONDS)
            self.pending = {}


def _unwrap(user: Any) -> Any:
    if isinstance(user, SimpleLazyObject):
        if user._wrapped is empty:
            user._setup()
        return user._wrapped
    return user


def _without_user(membership: Any) -> Any:
    """A copy of `membership` without its user (the entry holds the user once; the request
    gives the membership its own `request.user` back)."""
    if membership is None:
        return None
    clone = copy.copy(membership)
    clone._state = copy.copy(membership._state)
    clone._state.fields_cache = {
        name: value for name, value in membership._state.fields_cache.items() if name != "user"
    }
    return clone


def request_context(request: HttpRequest) -> RequestContext | None:
    """The request's cache look-up (one `get_many`, made once), None when the cache is off,
    nobody is signed in or the cache cannot be reached."""
    if hasattr(request, "_portal_context"):
        return request._portal_context
    context = None
    session = getattr(request, "session", None)
    user_id = session.get(auth.SESSION_KEY) if session is not None else None
    if context_cache_enabled() and user_id is not None:
        chosen = session.get(ORGANIZATION_SESSION_KEY)  # type: ignore[union-attr]
        acting_for = session.get(ACTING_FOR_SESSION_KEY)  # type: ignore[union-attr]
        identity = (user_id, chosen, acting_for)
        # Read with the session in one round trip when the session engine guessed this very
        # identity (portal/sessions.py); else a second round trip.
        prefetched = getattr(session, "prefetched", None)
        if prefetched is not None and prefetched[0] == identity:
            found: dict[str, Any] | None = prefetched[1]
        else:
            found = _shared("get_many", context_keys(*identity))
        remember_identity(getattr(session, "session_key", None), identity)
        if found is not None:
            context = RequestContext(user_id, chosen, acting_for, found)
    request._portal_context = context  # type: ignore[attr-defined]
    return context


def _user_for_request(request: HttpRequest) -> Any:
    """The user of the session: the cached row when the session's hash still matches it, else
    Django's `get_user` (the backend reads the row and checks the hash, signing out a session
    whose password changed)."""
    context = request_context(request)
    if context is not None and request.session.get(auth.BACKEND_SESSION_KEY) in (
        settings.AUTHENTICATION_BACKENDS
    ):
        user = context.user()
        session_hash = request.session.get(auth.HASH_SESSION_KEY)
        if (
            user is not None
            and user.is_active
            and session_hash
            and constant_time_compare(session_hash, _session_auth_hash(user))
        ):
            return user
    if context is not None:
        context.prepare_miss()
    user = auth.get_user(request)
    if context is not None and user.is_authenticated:
        context.remember(user=user)
    return user


# The session hash of each (user class, password hash, secret key) this process has checked: an
# HMAC-SHA256 a request (~4 us) for a value that changes only with the password.
_AUTH_HASHES: dict[tuple[Any, str, str], str] = {}
_AUTH_HASHES_MAX = 10_000


def _session_auth_hash(user: Any) -> str:
    key = (type(user), user.password, settings.SECRET_KEY)
    value = _AUTH_HASHES.get(key)
    if value is None:
        value = user.get_session_auth_hash()
        if len(_AUTH_HASHES) >= _AUTH_HASHES_MAX:
            _AUTH_HASHES.clear()
        _AUTH_HASHES[key] = value
    return value


def _cached_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = _user_for_request(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class ContextAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, reading the user from the request context cache."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _cached_user(request))  # type: ignore[assignment]

    def process_response(self, request: HttpRequest, response: Any) -> Any:
        context = getattr(request, "_portal_context", None)
        if context is not None:
            context.store()
        return response


# Invalidation ------------------------------------------------------------------------------


def _forget(keys: list[str]) -> None:
    if not keys or not context_cache_enabled():
        return
    _shared("delete_many", keys)
    transaction.on_commit(lambda: _shared("delete_many", keys))


def context_changed_for_users(user_ids: Iterable[Any]) -> None:
    """The users' rows, memberships or second factor changed: their next request reads them."""
    _forget([_user_token_key(user_id) for user_id in set(user_ids)])


def context_changed_for_organization(organization_id: Any) -> None:
    """An organization changed: its members' next requests, and every delegated context."""
    if not context_cache_enabled():
        return
    from .models import Membership

    members = Membership.objects.filter(organization_id=organization_id).values_list(
        "user_id", flat=True
    )
    _forget([_user_token_key(user_id) for user_id in members] + [DELEGATION_TOKEN])


def delegated_contexts_changed() -> None:
    """A grant of delegated access changed: every delegated context is read again."""
    _forget([DELEGATION_TOKEN])


def user_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    context_changed_for_users([instance.pk])


def membership_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    context_changed_for_users([instance.user_id])


def authenticator_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    context_changed_for_users([instance.user_id])


def organization_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    context_changed_for_organization(instance.pk)


def delegation_grant_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    delegated_contexts_changed()
