"""Django's `cached_db` sessions, read together with the request context in one cache round trip.

A signed-in request needs two reads from the cache: its session, then the request context
(portal/request_context.py), whose keys are named by what the session holds (the user, the
organization chosen, the customer administered). Each round trip to Redis costs more CPU than
the rest of a middleware layer (issue 21), so this engine reads both at once: each process
remembers, per session key, the identity that session had on its previous request (user,
chosen organization, delegated customer) and asks for the session and that identity's context
keys in one `get_many`. `request_context()` uses what came back only when the session read
names the very same identity; otherwise (a first request in this process, a sign-in as someone
else, an organization switched) it reads the context with a second round trip as before. The
guess decides which keys are read, never what is trusted: the session is the same value a
plain GET returns, read in the same atomic MGET as the context, so nothing is older than with
two round trips.

While Redis is unreachable the combined read is skipped (`shared_call` answers None) and the
session is read as `cached_db` reads it (the resilient cache, then the database). The session's
cache keys are `cached_db`'s, so `portal.cache.FORGET_ON_RECOVERY` still covers them."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

from .session_identities import identity_of


class SessionStore(CachedDBStore):
    # What the combined read found besides the session: (identity, {key: value}); None when
    # the session was read alone.
    prefetched: tuple[tuple[Any, Any, Any], dict[str, Any]] | None = None

    def load(self) -> dict[str, Any]:
        from .request_context import _shared, context_cache_enabled, context_keys

        self.prefetched = None
        identity = identity_of(self._session_key)
        if identity is not None and context_cache_enabled():
            keys = context_keys(*identity)
            found = _shared("get_many", [self.cache_key, *keys])
            if found is not None:
                data = found.pop(self.cache_key, None)
                if data is not None:
                    self.prefetched = (identity, found)
                    return data
        return super().load()
