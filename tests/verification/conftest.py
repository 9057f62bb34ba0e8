import pytest
from django.core.cache import cache

from tests.verification.factories import reviewer, submitted_reseller
from verification.services import case_open


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def partner(db):
    return submitted_reseller()


@pytest.fixture
def reviewer_member(db):
    return reviewer()


@pytest.fixture
def open_case(partner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return case_open(organization=partner.organization, actor=partner.user)
