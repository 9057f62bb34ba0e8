"""Reading a page's one-time form token the way a browser sends it back (portal/form_tokens.py)."""

from __future__ import annotations

import re

_TOKEN = re.compile(r'<input type="hidden" name="form_token" value="([^"]+)"')


def token_in(html: str) -> str:
    """The form token of the (one) creating form on a page."""
    found = _TOKEN.findall(html)
    assert len(found) == 1, f"expected one form token on the page, found {len(found)}"
    return found[0]


def followed_message(client, response) -> str:
    """The page a redirect leads to, where the message set by the POST is shown."""
    assert response.status_code == 302, response.status_code
    return client.get(response["Location"]).text
