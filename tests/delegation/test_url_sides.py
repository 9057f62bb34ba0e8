"""Each side acts only through its own URLs (DOMAIN.md's URL map): `/customers/<id>/...` is the
partner's (its reseller's or provider's customer page), `/partner-relationships/...` the
customer's. Every delegation action URL works for its side and is a 404 (never a 403) for the
other side, which changes nothing."""

from __future__ import annotations

import pytest

from delegation.models import AdminAccess, GdapRelationship
from tests.delegation.factories import World, dap_world
from tests.delegation.gdap_factories import Gdap

pytestmark = pytest.mark.django_db
# The confirm page's button: without it an irreversible action only asks (portal/confirm.py).
CONFIRMED = {"confirmed": "yes"}
ROLES = ["user_administrator"]


def _gdap(world: World) -> Gdap:
    return Gdap(
        world.provider, world.reseller, world.customer, world.provider_agent, world.customer_admin
    )


def _access(world: World) -> AdminAccess:
    return AdminAccess.objects.get(customer=world.customer, partner=world.provider)


def test_removing_admin_access_from_the_partners_page_is_the_partners(client_for):
    world = dap_world()
    access = _access(world)
    url = f"/customers/{world.customer.pk}/admin-access/{access.pk}/remove/"
    customer = client_for(world.customer_admin)
    assert customer.get(url).status_code == 404
    assert customer.post(url, CONFIRMED).status_code == 404
    access.refresh_from_db()
    assert access.status == AdminAccess.Status.ACTIVE
    reseller = client_for(world.reseller_agent)
    assert reseller.get(url).status_code == 200
    assert reseller.post(url, CONFIRMED).status_code == 302
    access.refresh_from_db()
    assert access.status == AdminAccess.Status.REMOVED


def test_removing_admin_access_from_partner_relationships_is_the_customers(client_for):
    world = dap_world()
    access = _access(world)
    url = f"/partner-relationships/admin-access/{access.pk}/remove/"
    for partner in (world.reseller_agent, world.provider_agent, world.provider_admin):
        client = client_for(partner)
        assert client.get(url).status_code == 404
        assert client.post(url, CONFIRMED).status_code == 404
    access.refresh_from_db()
    assert access.status == AdminAccess.Status.ACTIVE
    customer = client_for(world.customer_admin)
    assert customer.get(url).status_code == 200
    assert customer.post(url, CONFIRMED).status_code == 302
    access.refresh_from_db()
    assert access.status == AdminAccess.Status.REMOVED


@pytest.mark.parametrize("path", ["administer/", "gdap/new/"])
def test_the_partners_customer_actions_are_a_404_to_the_customer(client_for, path):
    world = dap_world()
    url = f"/customers/{world.customer.pk}/{path}"
    customer = client_for(world.customer_admin)
    assert customer.get(url).status_code == 404
    assert customer.post(url, {"name": "x", "roles": ROLES, "duration_days": 30}).status_code == 404
    assert not GdapRelationship.objects.filter(customer=world.customer).exists()
    assert "portal_acting_for" not in customer.session


def test_ending_gdap_on_the_customer_page_is_the_partners(client_for):
    world = dap_world()
    relationship = _gdap(world).approved(ROLES)
    url = f"/customers/{world.customer.pk}/gdap/{relationship.pk}/end/"
    assert client_for(world.customer_admin).post(url, CONFIRMED).status_code == 404
    relationship.refresh_from_db()
    assert relationship.status == GdapRelationship.Status.ACTIVE
    assert client_for(world.provider_agent).post(url, CONFIRMED).status_code == 302
    relationship.refresh_from_db()
    assert relationship.status == GdapRelationship.Status.ENDED


@pytest.mark.parametrize(
    ("action", "pending", "after"),
    [("approve", True, "active"), ("decline", True, "declined"), ("end", False, "ended")],
)
def test_answering_gdap_on_partner_relationships_is_the_customers(
    client_for, action, pending, after
):
    world = dap_world()
    gdap = _gdap(world)
    relationship = gdap.request(ROLES) if pending else gdap.approved(ROLES)
    before = relationship.status
    url = f"/partner-relationships/gdap/{relationship.pk}/{action}/"
    for partner in (world.provider_agent, world.provider_admin, world.reseller_agent):
        assert client_for(partner).post(url, CONFIRMED).status_code == 404
    relationship.refresh_from_db()
    assert relationship.status == before
    assert client_for(world.customer_admin).post(url, CONFIRMED).status_code == 302
    relationship.refresh_from_db()
    assert relationship.status == after
