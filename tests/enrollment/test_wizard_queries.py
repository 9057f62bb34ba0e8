"""A wizard step costs the same whatever the number of organizations already enrolled."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.models import Organization
from tests.enrollment.factories import drafting_user, legal_data
from tests.factories import OrganizationFactory
from tests.queries import warm

pytestmark = pytest.mark.django_db
BASE = "/enroll/reseller/"


def _queries(client: Client, method: str, url: str, data=None) -> int:
    warm(client)
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    assert response.status_code in (200, 302)
    return len(queries.captured_queries)


def _organizations(n: int) -> None:
    OrganizationFactory.create_batch(n, status=Organization.Status.VERIFIED)


@pytest.mark.parametrize("step", ["legal", "contact", "support"])
def test_a_step_get_and_post_run_the_same_queries_for_1_and_3_organizations(step):
    draft = drafting_user(through="support")
    client = Client()
    client.force_login(draft.user)
    data = {**draft.data[step], "nav": "next"}
    _organizations(1)
    get_one = _queries(client, "get", f"{BASE}{step}/")
    post_one = _queries(client, "post", f"{BASE}{step}/", data)
    _organizations(2)
    assert _queries(client, "get", f"{BASE}{step}/") == get_one
    assert _queries(client, "post", f"{BASE}{step}/", data) == post_one
    assert get_one <= 10 and post_one <= 10


def test_the_legal_step_still_refuses_a_duplicate_company_among_many():
    _organizations(2)
    OrganizationFactory(
        status=Organization.Status.VERIFIED, legal_name="Acme Cloud S.R.L.", country_id="IT"
    )
    draft = drafting_user()
    client = Client()
    client.force_login(draft.user)
    response = client.post(f"{BASE}legal/", {**legal_data(), "nav": "next"})
    assert response.status_code == 200
    assert "already has an account" in response.content.decode()
