"""The per-request tax: a signed-in request reads who is asking from the cache (no query before
its view once the cache is warm), an anonymous page asks the database nothing, and every change
of a user, a membership, an organization or a delegated access is seen by the very next request
(portal/request_context.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.urls import reverse

from delegation.models import AdminAccess
from delegation.services.dap import admin_access_remove
from enrollment.services.members import membership_remove, membership_roles_update
from portal.delegation import ACTING_FOR_SESSION_KEY
from tests.delegation.factories import dap_world
from tests.delegation.gdap_factories import gdap_setup
from tests.factories import acting, member

pytestmark = pytest.mark.django_db

USERS = reverse("account_settings:users")


@contextmanager
def all_queries() -> Iterator[list[str]]:
    """Every query run inside the block, the request's own start included (Django empties
    `connection.queries` when a request starts, so CaptureQueriesContext could miss some)."""
    queries: list[str] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield queries


@pytest.fixture
def bare(settings):
    settings.ROOT_URLCONF = "tests.portal.urls_bare"


def test_a_signed_in_request_to_a_bare_view_makes_no_query_once_the_cache_is_warm(
    bare, client_for, reseller_admin
):
    client = client_for(reseller_admin)
    assert client.get("/bare/").status_code == 200  # reads the database once, fills the cache

    with all_queries() as queries:
        response = client.get("/bare/")

    assert response.status_code == 200
    assert queries == []


def test_a_warm_request_still_knows_the_member_and_the_organization(client_for, reseller_admin):
    client = client_for(reseller_admin)
    client.get("/dashboard/")

    response = client.get("/dashboard/")

    assert response.context["user"] == reseller_admin.user
    assert response.context["current_membership"] == reseller_admin
    assert response.context["current_organization"].legal_name in response.text


@contextmanager
def cache_reads() -> Iterator[list[tuple[str, object]]]:
    """Every read of the default cache inside the block: one entry a round trip to Redis."""
    cache = caches["default"]
    reads: list[tuple[str, object]] = []
    inside: list[str] = []
    originals = {name: getattr(cache, name) for name in ("get", "get_many", "has_key")}

    def counting(name: str):  # type: ignore[no-untyped-def]
        def read(*args, **kwargs):  # type: ignore[no-untyped-def]
            if inside:  # locmem's get_many calls get: one round trip still
                return originals[name](*args, **kwargs)
            reads.append((name, args[0] if args else None))
            inside.append(name)
            try:
                return originals[name](*args, **kwargs)
            finally:
                inside.pop()

        return read

    for name in originals:
        setattr(cache, name, counting(name))
    try:
        yield reads
    finally:
        for name in originals:
            delattr(cache, name)


def test_a_warm_signed_in_request_reads_its_session_and_context_in_one_round_trip(
    bare, client_for, reseller_admin
):
    client = client_for(reseller_admin)
    client.get("/bare/")  # fills the cache; this process learns the session's identity
    client.get("/bare/")

    with cache_reads() as reads:
        response = client.get("/bare/")

    assert response.status_code == 200
    assert len(reads) == 1, reads
    name, keys = reads[0]
    assert name == "get_many"
    assert any("sessions" in key for key in keys)  # type: ignore[attr-defined]
    assert any(":own:" in key for key in keys)  # type: ignore[attr-defined]


def test_a_delegated_request_reads_its_session_and_context_in_one_round_trip(client_for):
    world = dap_world(primary_domain="adatum-trip.example")
    provider = client_for(world.provider_agent)
    provider.post(reverse("delegation:administer", args=[world.customer.pk]))
    provider.get("/dashboard/", follow=True)
    provider.get("/dashboard/")

    with cache_reads() as reads:
        response = provider.get("/dashboard/")

    assert response.wsgi_request.organization == world.customer  # type: ignore[attr-defined]
    context_reads = [list(keys) for _name, keys in reads if ":ctx:" in str(keys)]  # type: ignore[call-overload]
    assert len(context_reads) == 1, reads  # the session came with it
    assert any("sessions" in key for key in context_reads[0])
    assert any(":del:" in key for key in context_reads[0])


@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/bare/"],
)
def test_an_anonymous_page_makes_no_query(bare, client, path):
    with all_queries() as queries:
        response = client.get(path)

    assert response.status_code in (200, 302)
    assert queries == []


def test_a_role_removed_is_refused_on_the_next_request(client_for, reseller_admin):
    admin_b = member(reseller_admin.organization)
    client = client_for(admin_b)
    assert client.get(USERS).status_code == 200  # warm: Global admin may manage users

    membership_roles_update(actor=reseller_admin.user, membership=admin_b, roles={"sales_agent"})

    assert client.get(USERS).status_code == 403


def test_a_removed_member_is_out_of_the_organization_on_the_next_request(
    client_for, reseller_admin
):
    agent = member(reseller_admin.organization, sales_agent=True)
    client = client_for(agent)
    assert client.get("/dashboard/").status_code == 200

    membership_remove(actor=reseller_admin.user, membership=agent)

    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:no_organization")


def test_changing_the_password_signs_the_other_sessions_out_on_their_next_request(
    client_for, reseller_admin
):
    user = reseller_admin.user
    user.set_password("old-Secret-123")
    user.save()
    here, elsewhere = Client(), Client()
    assert here.login(email=user.email, password="old-Secret-123")
    assert elsewhere.login(email=user.email, password="old-Secret-123")
    assert elsewhere.get("/dashboard/").status_code == 200  # warm

    response = here.post(
        "/accounts/password/change/",
        {
            "oldpassword": "old-Secret-123",
            "password1": "new-Secret-456!",
            "password2": "new-Secret-456!",
        },
    )
    assert response.status_code == 302

    assert here.get("/dashboard/").status_code == 200  # this session was kept
    response = elsewhere.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_removed_admin_access_leaves_the_customers_account_on_the_next_request(client_for):
    world = dap_world(primary_domain="adatum-cache.example")
    provider = client_for(world.provider_agent)
    provider.post(reverse("delegation:administer", args=[world.customer.pk]))
    response = provider.get("/dashboard/", follow=True)
    assert response.context["current_organization"] == world.customer  # warm, delegated

    access = AdminAccess.objects.get(
        customer=world.customer, partner=world.provider, status=AdminAccess.Status.ACTIVE
    )
    admin_access_remove(**acting(world.customer_admin), access_id=access.pk)

    response = provider.get("/dashboard/", follow=True)
    assert response.context["current_organization"] == world.provider
    assert f"Your admin access to {world.customer.legal_name} ended." in response.text
    assert ACTING_FOR_SESSION_KEY not in provider.session


def test_a_gdap_relationship_reaching_its_end_date_ends_the_cached_context(client_for):
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        g = gdap_setup()
        relationship = g.approved(["user_administrator"], duration_days=30)
    assert relationship.ends_at is not None
    with time_machine.travel(relationship.ends_at - timedelta(minutes=2), tick=False):
        provider = client_for(g.agent)
        provider.post(reverse("delegation:administer", args=[g.customer.pk]))
        response = provider.get("/dashboard/", follow=True)
        assert response.context["current_organization"] == g.customer  # warm, delegated

    # Three minutes later: within the cache's lifetime and the idle timeout, past the end date.
    with time_machine.travel(relationship.ends_at + timedelta(minutes=1), tick=False):
        response = provider.get("/dashboard/", follow=True)

    assert response.context["current_organization"] == g.provider
    assert ACTING_FOR_SESSION_KEY not in provider.session


def test_a_member_made_global_admin_must_set_up_a_second_factor_on_the_next_request(
    client_for, settings, reseller_admin
):
    settings.PORTAL_REQUIRE_MFA = True
    sales = member(reseller_admin.organization, sales_agent=True)
    client = client_for(sales)
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/dashboard/").status_code == 200  # warm: no second factor needed

    membership_roles_update(actor=reseller_admin.user, membership=sales, roles={"global_admin"})

    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_an_authenticator_set_up_lets_the_next_request_through(
    client_for, settings, reseller_admin
):
    settings.PORTAL_REQUIRE_MFA = True
    client = client_for(reseller_admin)
    assert client.get("/dashboard/").status_code == 302
    assert client.get("/dashboard/").status_code == 302  # warm: still no authenticator

    TOTP.activate(reseller_admin.user, generate_totp_secret())

    assert client.get("/dashboard/").status_code == 200


def test_a_request_hands_on_the_resolved_user_and_builds_no_unused_message_storage(
    bare, client_for, reseller_admin
):
    from django.utils.functional import SimpleLazyObject, empty

    client = client_for(reseller_admin)
    client.get("/bare/")

    request = client.get("/bare/").wsgi_request

    assert request.user == reseller_admin.user
    assert not isinstance(request.user, SimpleLazyObject)  # no proxy for every read after
    assert request._messages._wrapped is empty  # type: ignore[attr-defined]
