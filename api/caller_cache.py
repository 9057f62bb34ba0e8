"""Who calls /api/v1/ without asking the database: a known bearer token's API client and its
token's expiry and scopes, read from the cache in one round trip, and a revocation still refused
by the very next call.

Where it lives: the request context's cache (portal/request_context.py), on where that is
(`PORTAL_CONTEXT_CACHE`: a cache every process shares), through `shared_call`: Redis only, never
the in-process fallback of `portal.cache`, and an invalidation that could not reach Redis is made
again before Redis serves anything (the keys share the `portal:ctx:` prefix of
`portal.cache.FORGET_ON_RECOVERY`).

- `portal:ctx:v1:api:tok:<SHA-256 of the token>` (the checksum django-oauth-toolkit stores): the
  token's expiry and scopes and its client with the client's organization, country and OAuth
  application, recorded under the generation below. Not the client's creator: the membership
  reads that user when something asks for it (writes, staff-only checks), never for a read.
- `portal:ctx:v1:gen:api`: the generation. A call reads its entry and the generation with one
  `get_many`; an entry counts only under the current generation, so deleting it forgets every
  entry at once.

What deletes the generation (model signals, connected in api/apps.py): an API client saved or
deleted (`api_client_revoke` saves it revoked, then deletes its tokens), an access token changed
or deleted, an OAuth application, an organization or a country saved or deleted, a user deleted
(a client's creator). It is deleted at once and again when the transaction commits, and a miss
takes the generation BEFORE it reads the database: an answer read before a revocation committed
is recorded under a generation the commit deletes. Every hit still checks the token's expiry and
the client's own (`ApiClient.is_active`: revoked, expired). An entry expires after
`CONTEXT_TTL_SECONDS`, and never outlives its token."""

from __future__ import annotations

import copy
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from portal.ratelimit import Window
from portal.request_context import (
    CONTEXT_TTL_SECONDS,
    PREFIX,
    TOKEN_TTL_SECONDS,
    context_cache_enabled,
    shared_call,
    shared_get_many_counting,
)

from .models import ApiClient

GENERATION = f"{PREFIX}:gen:api"


def _entry_key(checksum: str) -> str:
    return f"{PREFIX}:api:tok:{checksum}"


def bearer_checksum(meta: Any) -> str | None:
    """The SHA-256 (hex) of the token of an `Authorization: Bearer <token>` header, read as
    oauthlib reads it; None without such a header (the token endpoint's path decides then)."""
    header = meta.get("HTTP_AUTHORIZATION")
    if not header:
        return None
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return hashlib.sha256(parts[1].encode("utf-8")).hexdigest()


def _without_creator(client: ApiClient) -> ApiClient:
    """A copy of `client` that keeps its organization and application but not its creator."""
    clone = copy.copy(client)
    clone._state = copy.copy(client._state)
    clone._state.fields_cache = {
        name: value for name, value in client._state.fields_cache.items() if name != "created_by"
    }
    return clone


@dataclass
class CallerLookup:
    """One call's look-up: what `get_many` found for its token, and how to record a miss."""

    checksum: str
    generation: str | None
    entry: dict[str, Any] | None
    # (counter, count): the rate limit's use counted in the same round trip (`caller_lookup`).
    counted: tuple[str, int] | None = None

    def hit(self) -> tuple[ApiClient, str] | None:
        """(client, the token's scopes) when the entry counts: recorded under the current
        generation and its token not expired. The client's own validity is the caller's check."""
        entry = self.entry
        if entry is None or self.generation is None or entry["generation"] != self.generation:
            return None
        if timezone.now() >= entry["expires"]:
            return None
        return entry["client"], entry["scope"]

    def prepare_miss(self) -> bool:
        """Call BEFORE reading the database: the generation the answer will be recorded under
        (a new one where there is none). False when the cache cannot be reached."""
        if self.generation is None:
            if shared_call("add", GENERATION, secrets.token_hex(8), TOKEN_TTL_SECONDS) is None:
                return False
            self.generation = shared_call("get", GENERATION)
        return self.generation is not None

    def remember(self, client: ApiClient, expires: datetime, scope: str) -> None:
        """Record the token's client (its last use as the client has it now: a hit that finds it
        over a minute old writes it, and records the entry again)."""
        if self.generation is None or not expires:
            return
        seconds = min(CONTEXT_TTL_SECONDS, int((expires - timezone.now()).total_seconds()))
        if seconds <= 0:
            return
        self.entry = {
            "generation": self.generation,
            "expires": expires,
            "scope": scope,
            "client": _without_creator(client),
        }
        shared_call("set", _entry_key(self.checksum), self.entry, seconds)

    def refresh(self, client: ApiClient) -> None:
        """Record the entry again with `client` as it is now (its last use was just written)."""
        if self.entry is not None:
            self.remember(client, self.entry["expires"], self.entry["scope"])


def caller_lookup(checksum: str, window: Window | None = None) -> CallerLookup | None:
    """The cache's answer for a token (one round trip), None when the cache is off or cannot
    be reached (the call then reads the database, and nothing is recorded). With `window`, the
    round trip also counts one use on its rate-limit counter (`counted` then says the count)."""
    if not context_cache_enabled():
        return None
    key = _entry_key(checksum)
    if window is None:
        found = shared_call("get_many", [key, GENERATION])
        if found is None:
            return None
        return CallerLookup(checksum, found.get(GENERATION), found.get(key))
    both = shared_get_many_counting([key, GENERATION], window.counter, window.timeout)
    if both is None:
        return None
    found, count = both
    counted = None if count is None else (window.counter, count)
    return CallerLookup(checksum, found.get(GENERATION), found.get(key), counted)


# token checksum -> its client's id, as this process last saw it (a token never changes
# client): which rate-limit counter a known token's look-up can count in the same round trip.
_client_of_token: dict[str, int] = {}
_CLIENTS_KEPT = 10_000


def client_of_token(checksum: str) -> int | None:
    return _client_of_token.get(checksum)


def token_client_seen(checksum: str, client_id: int) -> None:
    if len(_client_of_token) >= _CLIENTS_KEPT:
        _client_of_token.clear()
    _client_of_token[checksum] = client_id


def callers_changed() -> None:
    """Forget every cached caller: at once, and again when the transaction commits."""
    if not context_cache_enabled():
        return
    shared_call("delete", GENERATION)
    transaction.on_commit(lambda: shared_call("delete", GENERATION))


def caller_source_changed(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """A row an entry was read from was saved or deleted (a new row is in no entry yet)."""
    if not created:
        callers_changed()
