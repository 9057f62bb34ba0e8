"""`field__any_of=ids` (portal/lookups.py): the rows `__in` finds, whatever the database, with
the ids bound as one array on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Membership, Organization
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_any_of_finds_the_rows_in_finds():
    orgs = OrganizationFactory.create_batch(5)
    wanted = [orgs[0].pk, orgs[2].pk, orgs[4].pk, orgs[2].pk, None]
    found = set(Organization.objects.filter(pk__any_of=wanted).values_list("pk", flat=True))
    assert found == {orgs[0].pk, orgs[2].pk, orgs[4].pk}
    assert found == set(Organization.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    # A foreign key, as the lists' searches use it.
    memberships = [MembershipFactory(organization=org) for org in orgs[:3]]
    by_org = Membership.objects.filter(organization_id__any_of=[orgs[1].pk, orgs[3].pk])
    assert list(by_org) == [memberships[1]]


def test_no_id_finds_nothing():
    OrganizationFactory()
    assert list(Organization.objects.filter(pk__any_of=[])) == []
    assert list(Organization.objects.filter(pk__any_of=[None])) == []


def test_many_ids_are_one_parameter_on_postgresql():
    org = OrganizationFactory()
    ids = [org.pk, *range(10_000_000, 10_000_500)]
    with CaptureQueriesContext(connection) as queries:
        assert list(Organization.objects.filter(pk__any_of=ids)) == [org]
    if connection.vendor == "postgresql":
        assert "= ANY(" in queries[0]["sql"] and " IN (" not in queries[0]["sql"]


def test_a_subquery_is_read_first_as_an_array_on_postgresql():
    orgs = OrganizationFactory.create_batch(3)
    memberships = [MembershipFactory(organization=org) for org in orgs]
    chosen = Organization.objects.filter(pk__in=[orgs[0].pk, orgs[2].pk]).values("pk")
    with CaptureQueriesContext(connection) as queries:
        found = set(Membership.objects.filter(organization_id__any_of=chosen))
    assert found == {memberships[0], memberships[2]}
    if connection.vendor == "postgresql":
        assert "= ANY(ARRAY(SELECT" in queries[0]["sql"]
