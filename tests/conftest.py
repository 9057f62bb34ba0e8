import pytest
from django.db import connections
from django.test import Client

from portal.models import Market
from tests.browser import browser  # noqa: F401  (one Chromium per run: tests/e2e/, tests/gates/)
from tests.factories import member
from tests.logcapture import console_logs, json_logs  # noqa: F401  (log lines: tests/portal/test_logs.py)

pytest_plugins = ["tests.plugin"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # pytest-django's, extended
    """The test database as pytest-django sets it up, left whole at the end of the session.

    A transactional test flushes the database when it ends (`serialized_rollback` puts the
    migrations' data back when the next one starts). After the last one of a session the
    database stays flushed, and `make test` reuses it (--reuse-db): the next run failed on every
    test that needs a market (687 errors on one worker). The data serialized at the start is
    loaded back here."""
    yield
    with django_db_blocker.unblock():
        connection = connections["default"]
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents and not Market.objects.exists():
            connection.creation.deserialize_db_from_string(contents)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fresh_sqlmemo():
    """SQL compiled once per process (portal/sqlmemo.py) is keyed by ids that SQLite hands out
    again after a rollback: each test starts and ends with none remembered."""
    from portal import sqlmemo

    sqlmemo.clear()
    yield
    sqlmemo.clear()


@pytest.fixture(autouse=True)
def _fresh_memory_cache():
    """Rate-limit counts and briefly cached figures (the review queue's counts) must not leak
    between tests (SQLite reuses primary keys after a rollback, so a count keyed by an
    organization id would carry over). Only the in-process cache the unit tests use is
    cleared, never a Redis that something else may share."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    cache = caches["default"]
    if isinstance(cache, LocMemCache):
        cache.clear()
    yield
    if isinstance(cache, LocMemCache):
        cache.clear()


@pytest.fixture
def reseller_admin(db):
    return member()


@pytest.fixture
def other_tenant_admin(db):
    """A second tenant whose data must stay invisible and untouched."""
    return member()


@pytest.fixture
def client_for():
    def make(membership) -> Client:
        client = Client()
        client.force_login(membership.user)
        return client

    return make
