"""Live regions: a part of a page that htmx refreshes by polling (`hx-trigger="every 15s"`),
with no inline script (the CSP forbids it).

The page and its fragment endpoint render the same parts; the page embeds a digest of them in
the poll's URL. The endpoint answers 204 (htmx swaps nothing) while the digest still matches,
so a screen reader hears nothing until something really changed; then it returns the new parts
(the main one in place, the others out of band) and a sentence for the page's one polite
live region."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe


@dataclass
class LiveRegion:
    id: str
    url: str
    html: SafeString
    parts: dict[str, SafeString] = field(default_factory=dict)
    announce: str = ""
    digest: str = ""
    fragment: bool = False
    every: int = 15


def live_region(
    request: HttpRequest,
    *,
    region_id: str,
    endpoint: str,
    template: str,
    context: dict[str, Any],
    parts: dict[str, str] | None = None,
    announce: str = "",
    keep: dict[str, str] | None = None,
) -> LiveRegion:
    """Render `template` (and each of `parts`, element id → template) with `context`. The poll
    keeps the request's query (a list's filters) and `keep` (what the page was loaded with)."""
    html = mark_safe(render_to_string(template, context, request))  # noqa: S308
    rendered = {
        part_id: mark_safe(render_to_string(name, context, request))  # noqa: S308
        for part_id, name in (parts or {}).items()
    }
    digest = hashlib.blake2b(
        "\x00".join([html, *rendered.values()]).encode(), digest_size=10
    ).hexdigest()
    query = request.GET.copy()
    for key, value in (keep or {}).items():
        query.setdefault(key, value)
    query["v"] = digest
    return LiveRegion(
        id=region_id,
        url=f"{endpoint}?{query.urlencode()}",
        html=html,
        parts=rendered,
        announce=announce,
        digest=digest,
        every=settings.PORTAL_LIVE_POLL_SECONDS,
    )


def live_response(request: HttpRequest, region: LiveRegion) -> HttpResponse:
    """The poll's answer: nothing (204) while unchanged, else the region and its parts."""
    if request.GET.get("v") == region.digest:
        return HttpResponse(status=204)
    region.fragment = True
    return HttpResponse(render_to_string("portal/_live.html", {"live": region}, request))
