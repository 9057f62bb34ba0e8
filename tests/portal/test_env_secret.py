"""env_secret (portal/settings/base.py): a secret from the file compose mounts (`<NAME>_FILE`),
so it never sits in a container's environment."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.settings.base import env_secret


def test_the_file_wins_over_the_variable(monkeypatch, tmp_path):
    path = tmp_path / "key"
    path.write_text("from-the-file\n")
    monkeypatch.setenv("PORTAL_TEST_SECRET", "from-the-variable")
    monkeypatch.setenv("PORTAL_TEST_SECRET_FILE", str(path))
    assert env_secret("PORTAL_TEST_SECRET") == "from-the-file"


def test_without_a_file_the_variable_then_the_default(monkeypatch):
    monkeypatch.delenv("PORTAL_TEST_SECRET_FILE", raising=False)
    monkeypatch.delenv("PORTAL_TEST_SECRET", raising=False)
    assert env_secret("PORTAL_TEST_SECRET", default="fallback") == "fallback"
    monkeypatch.setenv("PORTAL_TEST_SECRET", "from-the-variable")
    assert env_secret("PORTAL_TEST_SECRET", default="fallback") == "from-the-variable"


def test_an_empty_file_is_an_optional_secret_left_unset(monkeypatch, tmp_path):
    path = tmp_path / "sentry_dsn"
    path.write_text("\n")
    monkeypatch.setenv("PORTAL_TEST_SECRET_FILE", str(path))
    monkeypatch.delenv("PORTAL_TEST_SECRET", raising=False)
    assert env_secret("PORTAL_TEST_SECRET", default="") == ""


def test_a_missing_file_or_a_missing_required_secret_stops_startup(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_TEST_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(ImproperlyConfigured, match="PORTAL_TEST_SECRET_FILE: cannot read"):
        env_secret("PORTAL_TEST_SECRET", default="x")
    monkeypatch.delenv("PORTAL_TEST_SECRET_FILE")
    monkeypatch.delenv("PORTAL_TEST_SECRET", raising=False)
    with pytest.raises(ImproperlyConfigured):
        env_secret("PORTAL_TEST_SECRET")
