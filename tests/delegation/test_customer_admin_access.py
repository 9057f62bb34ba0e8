"""Who can administer a customer, how and until when: `customer_admin_access()` is the one
answer of the partner's customer page, the customer's Partner relationships page and the
"administering on behalf" banner, with DAP only, GDAP only, both and neither, at a fixed number
of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from delegation.models import AdminAccess
from delegation.selectors import customer_admin_access
from portal.delegation import PartnerAccess, admin_access_of
from tests.delegation.factories import World, dap_world
from tests.delegation.gdap_factories import Gdap, gdap_setup
from tests.factories import member
from tests.queries import queries_of
from tests.relationships.factories import CustomerRelationshipFactory

pytestmark = pytest.mark.django_db
ROLES = ["user_administrator", "billing_reader"]
PARTNERS = reverse("delegation:partner_relationships")


def _day(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT")


def _gdap_of(world: World) -> Gdap:
    return Gdap(
        world.provider, world.reseller, world.customer, world.provider_agent, world.customer_admin
    )


def _row(body: str, partner) -> str:
    """The Partner relationships table's row of `partner`."""
    row = body[body.index(f'<th scope="row">{partner.legal_name}') :]
    return row[: row.index("</tr>")]


def _customer_page(client_for, membership, customer) -> str:
    url = reverse("relationships:customer_detail", args=[customer.pk])
    return client_for(membership).get(url).content.decode()


def test_gdap_only_is_admin_access_on_every_page(client_for):
    gdap = gdap_setup()
    relationship = gdap.approved(ROLES)
    until = f"until {_day(relationship.ends_at)}"
    [access] = customer_admin_access(gdap.customer)
    assert (access.partner, access.kind, access.roles) == (
        gdap.provider,
        PartnerAccess.GDAP,
        frozenset(ROLES),
    )
    assert access.ends_at == relationship.ends_at

    body = _customer_page(client_for, gdap.agent, gdap.customer)
    assert "holds no admin access" not in body
    assert "User administrator, Billing reader" in body and until in body

    body = client_for(gdap.customer_admin).get(PARTNERS).content.decode()
    row = _row(body, gdap.provider)
    assert "User administrator, Billing reader" in row and until in row

    client = client_for(gdap.agent)
    client.post(reverse("delegation:administer", args=[gdap.customer.pk]))
    banner = client.get(reverse("account_settings:users")).content.decode()
    assert f"GDAP: User administrator, Billing reader, {until}." in banner


def test_dap_only(client_for):
    world = dap_world()
    accesses = customer_admin_access(world.customer)
    assert {(a.partner, a.kind, a.ends_at) for a in accesses} == {
        (world.provider, "DAP", None),
        (world.reseller, "DAP", None),
    }
    body = _customer_page(client_for, world.provider_agent, world.customer)
    assert "holds no admin access" not in body
    assert "Delegated admin access (DAP)" in body and "GDAP “" not in body
    body = client_for(world.customer_admin).get(PARTNERS).content.decode()
    assert body.count("Delegated admin access (DAP)") == 2
    client = client_for(world.provider_agent)
    client.post(reverse("delegation:administer", args=[world.customer.pk]))
    banner = client.get(reverse("account_settings:users")).content.decode()
    assert "Delegated admin access (DAP) since" in banner and "GDAP:" not in banner


def test_dap_and_gdap(client_for):
    world = dap_world()
    relationship = _gdap_of(world).approved(ROLES)
    provider_access = admin_access_of(world.customer, partner=world.provider)
    assert [a.kind for a in provider_access] == ["DAP", "GDAP"]
    assert provider_access == [
        a for a in customer_admin_access(world.customer) if a.partner == world.provider
    ]
    until = f"until {_day(relationship.ends_at)}"
    for body in (
        _customer_page(client_for, world.provider_agent, world.customer),
        _customer_page(client_for, world.reseller_agent, world.customer),
        client_for(world.customer_admin).get(PARTNERS).content.decode(),
    ):
        assert "Delegated admin access (DAP)" in body
        assert "User administrator, Billing reader" in body and until in body


def test_none(client_for):
    gdap = gdap_setup()
    gdap.request(ROLES)  # pending: no access yet
    assert customer_admin_access(gdap.customer) == []
    body = _customer_page(client_for, gdap.agent, gdap.customer)
    assert "holds no admin access to this customer now" in body
    assert "No partner you know of holds admin access" in body
    body = client_for(gdap.customer_admin).get(PARTNERS).content.decode()
    for partner in (gdap.provider, gdap.reseller):
        row = _row(body, partner)
        assert "Yes" not in row and "No" in row and "User administrator" not in row


def test_a_partner_sees_only_what_it_may_know_of(client_for):
    world = dap_world()
    _gdap_of(world).approved(ROLES)
    other = CustomerRelationshipFactory(customer=world.customer)  # another reseller and provider
    Gdap(
        other.provider,
        other.reseller,
        world.customer,
        member(other.provider, admin_agent=True),
        world.customer_admin,
    ).approved(ROLES)
    seen = customer_admin_access(world.customer, seen_by=world.reseller)
    assert {a.partner for a in seen} == {world.reseller, world.provider}
    seen = customer_admin_access(world.customer, seen_by=other.provider)
    assert {(a.partner, a.kind) for a in seen} == {(other.provider, "GDAP")}
    body = _customer_page(client_for, world.reseller_agent, world.customer)
    assert other.provider.legal_name not in body


def _customer_with_partners(n: int) -> World:
    """A customer with `n` reseller relationships, each reseller and provider holding DAP and
    the provider GDAP roles as well."""
    world = dap_world()
    _gdap_of(world).approved(ROLES)
    for _ in range(n - 1):
        shared = CustomerRelationshipFactory(customer=world.customer)
        for partner in (shared.reseller, shared.provider):
            AdminAccess.objects.create(
                customer=world.customer, partner=partner, reseller=shared.reseller
            )
        Gdap(
            shared.provider,
            shared.reseller,
            world.customer,
            member(shared.provider, admin_agent=True),
            world.customer_admin,
        ).approved(ROLES)
    return world


def test_the_answer_costs_the_same_queries_for_1_partner_and_3(client_for):
    selector_counts, page_counts = [], []
    for n in (1, 3):
        world = _customer_with_partners(n)
        with CaptureQueriesContext(connection) as ctx:
            accesses = customer_admin_access(world.customer)
        assert len(accesses) == 3 * n
        selector_counts.append(len(ctx))
        count, text = queries_of(client_for(world.customer_admin), PARTNERS)
        assert text.count("User administrator, Billing reader") >= n
        page_counts.append(count)
    assert selector_counts == [2, 2]
    assert page_counts[0] == page_counts[1], page_counts
