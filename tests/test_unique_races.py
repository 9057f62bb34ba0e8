"""Two people doing the same thing at the same moment on unique data: one wins, the other gets
the refusal a second attempt made afterwards gets (never a server error). Real threads on
PostgreSQL; a barrier holds both just before their insert so they really collide."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from enrollment.models import PartnerId
from enrollment.services.members import member_add
from enrollment.services.profile import partner_id_add
from portal.models import Market, Membership, Organization, User
from relationships.models import CustomerInvitation, ResellerInvitation
from relationships.services import customers, reseller_invitations
from relationships.services.customers import customer_organization_create
from tests.factories import UserFactory, acting, member
from tests.relationships.factories import (
    CustomerInvitationFactory,
    ProviderRelationshipFactory,
    provider_org,
)
from tests.threads import in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so inserts never collide",
    ),
]


def _race(monkeypatch, owner: Any, method: str, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run `calls` in parallel threads; each waits for the others inside `owner.method`
    (right before its insert). Returns each call's result or the exception it raised."""
    barrier = threading.Barrier(len(calls), timeout=10)
    original = getattr(owner, method)

    def waiting(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, method, waiting)
    return in_threads(*calls)


def _messages(results: list[Any]) -> list[str]:
    return [" ".join(r.messages) for r in results if isinstance(r, ValidationError)]


def test_two_colleagues_creating_their_customer_organization_at_once_make_one(monkeypatch):
    customer_domain = "newcustomer.example"
    invitation = CustomerInvitationFactory(email=f"owner@{customer_domain}")
    first = UserFactory(email=f"owner@{customer_domain}")
    second = UserFactory(email=f"owner2@{customer_domain}")
    italy = Market.objects.get(code="IT")
    # The second colleague is allowed to answer too (the invitation names the company domain).
    monkeypatch.setattr("relationships.services.customers.answer_refusal", lambda **kw: None)

    results = _race(
        monkeypatch,
        Organization,
        "full_clean",
        [
            lambda user=user: customer_organization_create(
                actor=user, invitation=invitation, legal_name="New Customer S.p.A.", country=italy
            )
            for user in (first, second)
        ],
    )

    assert sum(isinstance(r, Membership) for r in results) == 1, results
    assert _messages(results) == [
        "This company already has an account; ask its Global admin to add you."
    ]
    assert Organization.objects.filter(primary_domain=customer_domain).count() == 1


def test_two_admins_adding_the_same_new_person_at_once_add_them_once(monkeypatch):
    admin_a = member()
    admin_b = member(admin_a.organization)
    email = f"new.person@{admin_a.organization.primary_domain}"

    results = _race(
        monkeypatch,
        User.objects,
        "create_user",
        [
            lambda actor=actor: member_add(
                organization=admin_a.organization,
                actor=actor.user,
                email=email,
                first_name="New",
                last_name="Person",
                roles={"sales_agent"},
            )
            for actor in (admin_a, admin_b)
        ],
    )

    assert sum(isinstance(r, Membership) for r in results) == 1, results
    assert _messages(results) == ["This person is already a user of your organization."]
    assert Membership.objects.filter(user__email=email).count() == 1


def test_two_organizations_registering_the_same_partner_id_at_once_register_it_once(monkeypatch):
    admins = [member(), member()]
    italy = Market.objects.get(code="IT")

    results = _race(
        monkeypatch,
        PartnerId,
        "full_clean",
        [
            lambda admin=admin: partner_id_add(
                organization=admin.organization,
                actor=admin.user,
                mpn_id="7654321",
                kind=PartnerId.Kind.LOCATION,
                location_name="Milano",
                country=italy,
            )
            for admin in admins
        ],
    )

    assert sum(isinstance(r, PartnerId) for r in results) == 1, results
    assert _messages(results) == ["This PartnerID is already registered."]
    assert PartnerId.objects.filter(mpn_id="7654321").count() == 1


def test_two_invitations_of_one_customer_at_once_send_one(monkeypatch):

    relationship = ProviderRelationshipFactory()
    agents = [member(relationship.reseller), member(relationship.reseller)]

    results = _race(
        monkeypatch,
        customers,
        "_active_provider_relationship",
        [
            lambda agent=agent: customers.customer_invitation_create(
                **acting(agent),
                provider_id=relationship.provider_id,
                email="owner@racecustomer.example",
                company_name="Race Customer S.p.A.",
            )
            for agent in agents
        ],
    )

    assert sum(isinstance(r, CustomerInvitation) for r in results) == 1, results
    assert len(_messages(results)) == 1
    assert "is already pending" in _messages(results)[0]
    assert CustomerInvitation.objects.filter(email="owner@racecustomer.example").count() == 1


def test_two_invitations_of_one_reseller_at_once_send_one(monkeypatch):

    provider = provider_org()
    agents = [member(provider), member(provider)]

    results = _race(
        monkeypatch,
        reseller_invitations,
        "reseller_invitation_refusal",
        [
            lambda agent=agent: reseller_invitations.reseller_invitation_create(
                **acting(agent), email="boss@racereseller.example"
            )
            for agent in agents
        ],
    )

    assert sum(isinstance(r, ResellerInvitation) for r in results) == 1, results
    assert len(_messages(results)) == 1
    assert "is already pending" in _messages(results)[0]
    assert ResellerInvitation.objects.filter(email="boss@racereseller.example").count() == 1
