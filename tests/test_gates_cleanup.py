"""The gates (tests/gates/) commit the demo to the test database for their package and take it
out again: a test that runs after them on the same worker sees the migrated database, the
catalogue of the migration commerce/0002_catalogue and no demo organization or user.

pytest-django runs the tests with a django_db mark first, so this one has none and reads the
database as the gates do (they run before it, in the order collected); tests/suites.py puts it
in the gates' suite, on their worker."""

import pytest

from commerce.catalogue import OFFERS
from commerce.models import Offer, Subscription
from devtools.demo.portal import DEMO_ORGS
from enrollment.models import AgreementVersion
from portal.models import Market, Organization, User
from tests.gates.conftest import ensure_test_database


@pytest.fixture
def after_the_gates(request, django_db_setup, django_db_blocker, django_db_keepdb):
    ensure_test_database(request, django_db_blocker, django_db_keepdb)
    with django_db_blocker.unblock():
        yield


def test_after_the_gates_the_database_is_the_migrated_one(after_the_gates):
    assert Offer.objects.filter(code__in=[code for code, *_ in OFFERS]).count() == len(OFFERS)
    assert Market.objects.exists()  # portal/0002_reference_data
    assert AgreementVersion.objects.exists()  # enrollment/0002_partner_agreement_2026_01
    assert not User.objects.filter(email__in=[spec.email for spec in DEMO_ORGS]).exists()
    assert not Organization.objects.exists()
    assert not Subscription.objects.exists()
