"""Which identity (user, chosen organization, customer acted for) each session had on its
previous request in this process: `portal.sessions` reads that identity's request-context keys
together with the session, `portal.request_context` records it. Apart from both so neither
imports the other."""

from __future__ import annotations

import threading
from typing import Any

# Session key -> (user id, chosen organization, customer acted for), per process; bounded.
IDENTITIES_MAX = 20_000
_identities: dict[str, tuple[Any, Any, Any]] = {}
_lock = threading.Lock()


def remember_identity(session_key: str | None, identity: tuple[Any, Any, Any]) -> None:
    if not session_key or _identities.get(session_key) == identity:
        return
    with _lock:
        if len(_identities) >= IDENTITIES_MAX:
            _identities.pop(next(iter(_identities)))  # the oldest (dicts keep insertion order)
        _identities[session_key] = identity


def forget_identities() -> None:
    with _lock:
        _identities.clear()


def identity_of(session_key: str | None) -> tuple[Any, Any, Any] | None:
    return _identities.get(session_key) if session_key else None
