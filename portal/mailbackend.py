"""Django's SMTP backend, tuned for the outbox worker that sends thousands of emails over one
connection: the envelope addresses are parsed once, not for every message (Django parses each
with the email package's header parser, about a millisecond apiece)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend


@lru_cache(maxsize=4096)
def _prepared(address: str, force_ascii: bool) -> str:
    return DjangoSMTPBackend.prep_address(None, address, force_ascii)  # type: ignore[arg-type]


class EmailBackend(DjangoSMTPBackend):
    def prep_address(self, address: Any, force_ascii: bool = True) -> str:
        return _prepared(str(address), force_ascii)
