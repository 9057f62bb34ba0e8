"""Where a webhook may be sent: never to the portal's own network in production.

A URL's host is resolved and every address it resolves to must be public (not private,
loopback, link-local, reserved, multicast or shared), checked when the endpoint is registered
and again before each send (DNS changes). `WEBHOOKS_ALLOW_PRIVATE_TARGETS` (local and test
settings) lifts the rule for receivers on this machine."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


def target_refusal(url: str) -> str | None:
    """Why the portal will not POST to `url` (translated), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Enter an http:// or https:// address.")
    if parts.username or parts.password:
        return _("Leave user names and passwords out of the address; sign requests instead.")
    if settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError):
        return _("This host name cannot be resolved.")
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            return _("This address is in a private network; webhooks go to public addresses only.")
    return None
