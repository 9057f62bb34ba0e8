"""Headless Chromium through Playwright: the machine's Chromium (Debian package), nothing is
downloaded. One browser per run, shared by the browser tests (tests/e2e/) and the gates
(tests/gates/): tests/conftest.py registers the `browser` fixture."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.tools import need

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots"))
INSTALL_CHROMIUM = "apt-get install chromium"


@pytest.fixture(scope="session")
def browser():
    need(f"Chromium ({CHROMIUM})", Path(CHROMIUM).exists(), INSTALL_CHROMIUM)
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Starting Playwright's sync API (greenlets) gives this thread a new context, hence new
    # Django connection objects: carry the serialized test data over, or tests marked
    # serialized_rollback after the first one start from an empty database.
    saved = {
        conn.alias: conn._test_serialized_contents
        for conn in connections.all()
        if hasattr(conn, "_test_serialized_contents")
    }
    with sync_playwright() as p:
        for alias, contents in saved.items():
            connections[alias]._test_serialized_contents = contents
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
        # The connections opened in this context: once it ends they are out of reach, and one left
        # open keeps PostgreSQL from dropping the test database.
        connections.close_all()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
