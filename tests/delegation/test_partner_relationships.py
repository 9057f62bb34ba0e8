"""The customer's Partner relationships page: its partners and their admin access, for its
Global admin only, a fixed number of queries whatever the number of partners."""

from __future__ import annotations

import pytest
from django.urls import reverse

from delegation.models import AdminAccess
from delegation.services.dap import admin_access_remove
from relationships.services.customers import customer_invitation_accept
from relationships.services.provider_relationships import relationship_admin_access_remove
from tests.delegation.factories import dap_world
from tests.factories import acting, member
from tests.queries import queries_of
from tests.relationships.factories import CustomerInvitationFactory

pytestmark = pytest.mark.django_db
URL = reverse("delegation:partner_relationships")


def test_lists_the_reseller_and_provider_with_their_admin_access(client_for):
    world = dap_world()
    body = client_for(world.customer_admin).get(URL).content.decode()
    assert world.reseller.legal_name in body
    assert world.provider.legal_name in body
    assert f"Indirect provider of {world.reseller.legal_name}" in body
    assert body.count("Remove admin access") >= 2
    assert '<th scope="col">' in body


def test_shows_a_provider_whose_access_the_reseller_removed_on_the_relationship(client_for):
    world = dap_world()
    relationship_admin_access_remove(
        **acting(member(world.reseller)),
        relationship_id=world.reseller.provider_relationships.get().pk,
    )
    body = client_for(world.customer_admin).get(URL).content.decode()
    assert f"{world.reseller.legal_name} removed this provider's admin access" in body


def test_shows_removed_access_with_who_removed_it(client_for):
    world = dap_world()
    access = AdminAccess.objects.get(customer=world.customer, partner=world.provider)
    admin_access_remove(**acting(world.reseller_agent), access_id=access.pk)
    body = client_for(world.customer_admin).get(URL).content.decode()
    assert f"removed by {world.reseller.legal_name}" in body


def test_only_the_customers_global_admin_sees_it(client_for):
    world = dap_world()
    assert client_for(member(world.customer, admin_agent=True)).get(URL).status_code == 403
    assert client_for(world.reseller_agent).get(URL).status_code == 404
    assert client_for(world.provider_admin).get(URL).status_code == 404


def test_nav_entry_for_the_customers_global_admin(client_for):
    world = dap_world()
    body = client_for(world.customer_admin).get(URL).content.decode()
    assert f'href="{URL}"' in body
    assert 'aria-current="page"' in body


def test_another_customers_partners_stay_invisible(client_for):
    world = dap_world()
    other = dap_world()
    body = client_for(other.customer_admin).get(URL).content.decode()
    assert world.reseller.legal_name not in body
    assert world.provider.legal_name not in body


def _more_partners(world, count: int) -> None:
    for _ in range(count):
        invitation = CustomerInvitationFactory(invitee=world.customer)
        customer_invitation_accept(**acting(world.customer_admin), invitation_id=invitation.pk)


def test_page_costs_the_same_queries_with_2_or_4_partners(client_for):
    counts = []
    for extra in (0, 2):
        world = dap_world()  # a reseller and a provider
        _more_partners(world, extra)
        client = client_for(world.customer_admin)
        client.get(URL)  # warm the session and caches
        count, text = queries_of(client, URL)
        counts.append(count)
    assert world.reseller.legal_name in text and world.provider.legal_name in text
    assert counts[0] == counts[1] <= 14, counts


def test_partners_past_one_page_are_paged_at_the_same_cost(
    client_for, django_assert_max_num_queries
):
    """More partners than a page holds (the slow "scale" suite: tests/suites.py)."""
    world = dap_world()
    _more_partners(world, 30)
    client = client_for(world.customer_admin)
    client.get(URL)  # warm the session and caches
    with django_assert_max_num_queries(14):
        response = client.get(URL)
    assert response.status_code == 200
    assert "Next" in response.content.decode()
