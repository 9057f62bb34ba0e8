"""The client's IP address, for rate limits and records (the agreement acceptance).

Behind N reverse proxies that we run, each appends the address it received the request from to
X-Forwarded-For, so the Nth entry from the right was written by our outermost proxy and is the
client's address; everything to its left is whatever the client chose to send. With no trusted
proxy (the default) the header is ignored: anyone can send one. allauth asks the account adapter
(`PortalAccountAdapter.get_client_ip`), which calls this function, so its rate limits and ours
count the same address; `ALLAUTH_TRUSTED_PROXY_COUNT` is set from the same setting for any
allauth code that reads it directly."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


@lru_cache(maxsize=4096)
def _clean(value: str | None) -> str | None:
    """A valid IP address (an IPv4 `:port` suffix or IPv6 brackets removed), else None.
    Remembered: parsing an address costs more than the rest of the audit layer, and a request
    asks for the same few addresses again and again (issue 21)."""
    if not value:
        return None
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or with `PORTAL_TRUSTED_PROXY_COUNT` = N > 0 the Nth X-Forwarded-For entry
    from the right. A header shorter than N (a request that bypassed a proxy) or an entry that
    is not an address falls back to REMOTE_ADDR rather than trusting it."""
    count: int = getattr(settings, "PORTAL_TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
        if len(entries) >= count:
            forwarded = _clean(entries[-count])
            if forwarded:
                return forwarded
    return _clean(request.META.get("REMOTE_ADDR"))
