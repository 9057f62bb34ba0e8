"""Browser tests: Playwright drives the machine's Chromium (Debian package) headless against
pytest-django's live server. Nothing is downloaded. The browser itself is tests/browser.py's,
one per run."""

from __future__ import annotations

import pytest

from tests.browser import CHROMIUM, SCREENSHOTS, screenshot, sign_in

__all__ = ["CHROMIUM", "SCREENSHOTS", "screenshot", "sign_in"]


@pytest.fixture
def new_page(browser, live_server):
    """A factory of pages, each in a fresh browser context (no shared cookies)."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()
