"""A wizard step costs the same whatever the number of organizations already enrolled."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from enrollment.models import EnrollmentDraft
from enrollment.selectors import enrollment_draft_for
from portal import sqlmemo
from portal.models import Market, Organization
from tests.enrollment.factories import drafting_user, legal_data
from tests.factories import OrganizationFactory, UserFactory
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


def _fields(instance) -> dict | None:
    if instance is None:
        return None
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_the_draft_is_read_as_select_related_reads_it_each_users_own_from_one_statement():
    """`enrollment_draft_for`: the draft, its organization and country, equal to the ORM's
    `select_related` read (answers with accents, a draft with no country or organization yet),
    each user's own, with its SQL compiled once (PostgreSQL)."""
    legal = drafting_user(through="legal")
    legal.data["legal"]["legal_name"] = "Società Çà & «Ltd»"
    legal.save(update_fields=["data"])
    assert legal.organization is not None
    legal.organization.country = Market.objects.order_by("code").first()
    legal.organization.save(update_fields=["country"])
    started = drafting_user()
    alone = EnrollmentDraft.objects.create(user=UserFactory(), data={"legal": {"city": "Köln"}})
    sqlmemo.clear()
    for _ in range(2):
        for draft in (legal, started, alone):
            found = enrollment_draft_for(user=draft.user)
            expected = EnrollmentDraft.objects.select_related(
                "organization", "organization__country"
            ).get(pk=draft.pk)
            assert found is not None and _fields(found) == _fields(expected)
            with CaptureQueriesContext(connection) as queries:
                organization = found.organization
                country = organization.country if organization else None
            assert not queries.captured_queries
            assert _fields(organization) == _fields(expected.organization)
            assert _fields(country) == _fields(
                expected.organization and expected.organization.country
            )
    assert legal.organization.country is not None
    assert alone.organization is None
    assert enrollment_draft_for(user=UserFactory()) is None
    assert enrollment_draft_for(user=AnonymousUser()) is None
    kept = [value for key, value in sqlmemo._memo.items() if key[0] == "enrollment.draft_for"]
    assert len(kept) == 1
    if connection.vendor == "postgresql":  # SQLite's moments have converters: the ORM reads
        assert isinstance(kept[0], sqlmemo._Compiled)


def test_a_valid_legal_next_reads_its_one_market_and_a_refused_one_lists_every_country():
    """The legal step's Next checks and names the posted country by reading that one market;
    a refused step shows the form again with every country to choose from."""
    draft = drafting_user()
    client = Client()
    client.force_login(draft.user)
    warm(client)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"{BASE}legal/", {**legal_data(), "nav": "next"})
    assert response.status_code == 302
    markets = [q["sql"] for q in queries.captured_queries if 'FROM "portal_market"' in q["sql"]]
    assert len(markets) == 1 and '"portal_region"' not in markets[0]
    response = client.post(f"{BASE}legal/", {**legal_data(country="XX"), "nav": "next"})
    assert response.status_code == 200 and "Select a valid choice." in response.text
    select = response.text.split('name="country"')[1].split("</select>")[0]
    assert select.count("<option") == Market.objects.count() + 1
    italy = client.post(f"{BASE}legal/", {**legal_data(phone="123"), "nav": "next"}).text
    assert "Enter a valid phone number for Italy" in italy
