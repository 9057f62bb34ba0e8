from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from tests.factories import member


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


# Data migrations whose rows every test expects (regions, markets, consumer domains, the first
# Partner Agreement version).
REFERENCE_DATA = [
    ("portal.migrations.0002_reference_data", "load"),
    ("enrollment.migrations.0002_partner_agreement_2026_01", "create"),
]


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    """Transactional tests (browser and worker tests) flush the database after each test.
    pytest-django's serialized rollback should restore the migrations' rows, but under
    Playwright's greenlet the test sees another connection object, which lacks the serialized
    copy; so reload the reference data here (each loader is idempotent)."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    editor = SimpleNamespace(connection=connection)
    for module, function in REFERENCE_DATA:
        getattr(import_module(module), function)(apps, editor)


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
