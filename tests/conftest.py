import pytest
from django.test import Client

from tests.factories import member


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Some figures are cached briefly (the review queue's counts): no test sees another's."""
    from django.core.cache import cache

    cache.clear()
    yield
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


def pytest_terminal_summary(terminalreporter):
    from tests.figures import FIGURES

    if FIGURES:
        terminalreporter.section("measured figures")
        for suite, line in FIGURES:
            terminalreporter.write_line(f"{suite}: {line}")
