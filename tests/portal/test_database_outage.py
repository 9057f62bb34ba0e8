"""A database outage answers the 503 page in the portal's shell with Retry-After, and logs one
warning per outage instead of a traceback per request."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from portal.errors import OUTAGE

pytestmark = pytest.mark.django_db


def _refused(*args, **kwargs):
    raise OperationalError('connection to server at "db" (10.0.0.5), port 5432 failed')


@pytest.fixture
def signed_in(reseller_admin) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(reseller_admin.user)
    OUTAGE.logged = False
    yield client
    OUTAGE.logged = False


def _outage_logs(caplog) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name in {"portal.errors", "django.request"}
    ]


def test_an_outage_answers_503_with_retry_after_and_logs_once(signed_in, caplog, monkeypatch):
    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", _refused)
    with caplog.at_level(logging.INFO):
        first = signed_in.get("/")
        second = signed_in.post("/customers/", {"q": "x"})
    for response in (first, second):
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert "The portal is briefly unavailable" in response.text
        assert "Please try again in 30 seconds." in response.text
        assert 'class="topbar' in response.text  # in the shell
    logged = _outage_logs(caplog)
    assert len(logged) == 1, [r.getMessage() for r in logged]
    assert "The database is unavailable" in logged[0].getMessage()
    assert logged[0].exc_info is None  # no traceback


def test_the_next_outage_is_logged_again_once_a_request_succeeded(signed_in, caplog, monkeypatch):
    with caplog.at_level(logging.INFO):
        monkeypatch.setattr(BaseDatabaseWrapper, "cursor", _refused)
        assert signed_in.get("/").status_code == 503
        monkeypatch.undo()
        assert signed_in.get("/").status_code in (200, 302)
        assert not OUTAGE.logged
        monkeypatch.setattr(BaseDatabaseWrapper, "cursor", _refused)
        # A page with queries of its own: who is asking is now read from the cache.
        assert signed_in.get("/dashboard/").status_code == 503
    unavailable = [r for r in _outage_logs(caplog) if "unavailable" in r.getMessage()]
    assert len(unavailable) == 2


def test_other_server_errors_keep_the_plain_500(reseller_admin, settings):
    settings.ROOT_URLCONF = "tests.portal.urls_boom"
    client = Client(raise_request_exception=False)
    client.force_login(reseller_admin.user)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Retry-After" not in response
