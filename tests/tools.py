"""What a suite needs from the machine, and what happens when it is missing.

    from tests.tools import need
    need("Chromium", Path(CHROMIUM).exists(), "apt-get install chromium")

In `make test-all` (PORTAL_TEST_ALL=1, CI) a missing tool fails the test with the command that
installs it. In the fast set it skips, and the end of the run prints one line saying what was
skipped and why (conftest.py)."""

from __future__ import annotations

import os

import pytest


def test_all() -> bool:
    """True under `make test-all`, where nothing may be skipped."""
    return os.environ.get("PORTAL_TEST_ALL") == "1"


def need(what: str, present: bool, install: str) -> None:
    """Fail (test-all) or skip (fast set) unless `present`; `install` says how to get `what`."""
    if present:
        return
    message = f"{what} is missing: {install}"
    if test_all():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
