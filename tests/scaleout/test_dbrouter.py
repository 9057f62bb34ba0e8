"""The read-replica router (portal/dbrouter.py), switched on as DATABASE_REPLICA_URL does, over a
second alias on the test database (`replica`, a TEST MIRROR of default: portal/settings/test.py).

Transactional: the replica is a connection of its own, which sees committed rows only, as a real
replica does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from commerce.models import Subscription
from portal.dbrouter import PIN_COOKIE, replica_reads
from portal.models import Organization
from relationships.models import ResellerInvitation
from tests.commerce.factories import subscription_for
from tests.factories import member
from tests.relationships.factories import CustomerRelationshipFactory, ProviderRelationshipFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=["default", "replica"]
)


@pytest.fixture
def replica_on(settings):
    settings.DATABASE_ROUTERS = ["portal.dbrouter.ReplicaRouter"]
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "portal.dbrouter.ReplicaPinMiddleware",
    )
    settings.MIDDLEWARE = middleware


def _signed_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def _get(client: Client, path: str) -> tuple[str, list[str], list[str]]:
    """The page's text (a streamed export read to its end), and the SQL run on each alias."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        if response.streaming:
            text = b"".join(response.streaming_content).decode()
        else:
            text = response.text
    return text, [q["sql"] for q in primary], [q["sql"] for q in replica]


@pytest.fixture
def provider_with_data():
    """A provider with a reseller, a shared customer and a subscription: every list has a row."""
    relationship = ProviderRelationshipFactory()
    shared = CustomerRelationshipFactory(relationship=relationship)
    subscription_for(shared)
    assert Subscription.objects.exists()
    return member(relationship.provider), relationship, shared


# Each list page and export with the row it must show (the audit log: its latest event's type).
LISTS = {
    "/indirect-resellers/": "reseller",
    "/indirect-resellers/export.csv": "reseller",
    "/customers/": "customer",
    "/customers/?format=csv": "customer",
    "/subscriptions/": "customer",
    "/billing/": "customer",
    "/billing/export.csv": "customer",
    "/audit-log/": "",
    "/audit-log/?format=csv": "",
}


def test_list_pages_and_exports_read_their_rows_from_the_replica(replica_on, provider_with_data):
    admin, relationship, shared = provider_with_data
    client = _signed_in(admin)
    names = {
        "reseller": relationship.reseller.legal_name,
        "customer": shared.customer.legal_name,
        "": "",
    }
    for path, shown in LISTS.items():
        text, _primary, replica = _get(client, path)
        assert replica, f"{path} read nothing from the replica"
        assert names[shown] in text, (path, names[shown])
        # Who is asking and what they may see (session, user, membership) never comes from the
        # replica: from the request-context cache (portal/request_context.py) or the primary.
        asking = (
            "django_session",
            f'WHERE "portal_user"."id" = {admin.user_id}',
            f'"portal_membership"."user_id" = {admin.user_id}',
        )
        assert not [sql for sql in replica if any(table in sql for table in asking)], path


def test_a_page_read_from_the_replica_is_rendered_each_time(replica_on, provider_with_data):
    """The page memo (portal/pagememo.py) keeps no page read from the replica: rendered from a
    replica behind the commit that forgot it, a kept page would outlive the lag."""
    admin, _relationship, shared = provider_with_data
    client = _signed_in(admin)
    client.post("/language/")  # the request context cached, as on every request but the first
    for _ask in range(4):
        text, _primary, replica = _get(client, "/customers/")
        assert replica and shared.customer.legal_name in text
    assert client.get("/customers/").headers.get("X-Page-Memo") is None


@pytest.mark.django_db(databases=["default", "replica"])
def test_without_the_replica_setting_nothing_reads_the_replica(provider_with_data):
    admin, relationship, _shared = provider_with_data
    text, primary, replica = _get(_signed_in(admin), "/indirect-resellers/export.csv")
    assert relationship.reseller.legal_name in text
    assert primary and not replica


def test_a_post_writes_the_primary_and_the_next_pages_read_it_until_the_pin_expires(
    replica_on, provider_with_data
):
    admin, _relationship, _shared = provider_with_data
    client = _signed_in(admin)
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client.post("/indirect-resellers/invite/", {"email": "anna@newco.example"})
    assert response.status_code == 302
    assert ResellerInvitation.objects.filter(email="anna@newco.example").exists()
    assert any(sql.startswith("INSERT") for sql in (q["sql"] for q in primary))
    assert len(replica) == 0
    assert PIN_COOKIE in response.cookies

    # The list right after the invitation shows it: read from the primary, however far behind
    # the replica is.
    text, _primary, replica_sql = _get(client, "/indirect-resellers/")
    assert "anna@newco.example" in text
    assert replica_sql == []

    # Once the pin has expired (the browser drops the cookie) the list reads the replica again.
    del client.cookies[PIN_COOKIE]
    text, _primary, replica_sql = _get(client, "/indirect-resellers/")
    assert "anna@newco.example" in text
    assert replica_sql


def test_reads_stay_on_the_primary_outside_a_list_inside_a_transaction_and_after_a_write(
    replica_on,
):
    organization = member().organization
    with CaptureQueriesContext(connections["replica"]) as replica:
        Organization.objects.get(pk=organization.pk)  # not a list page
        with replica_reads(), transaction.atomic():
            Organization.objects.get(pk=organization.pk)  # a service's transaction
    assert len(replica) == 0

    with replica_reads():
        with CaptureQueriesContext(connections["replica"]) as replica:
            Organization.objects.get(pk=organization.pk)
        assert len(replica) == 1
        organization.legal_name = "Renamed S.p.A."
        organization.save(update_fields=["legal_name"])
        with (
            CaptureQueriesContext(connections["replica"]) as replica,
            CaptureQueriesContext(connections["default"]) as primary,
        ):
            assert Organization.objects.get(pk=organization.pk).legal_name == "Renamed S.p.A."
        assert len(replica) == 0 and len(primary) == 1


def _production_settings(**extra: str) -> dict:
    """The database aliases, routers and middleware of the production settings, read in a new
    interpreter with `extra` in its environment."""
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'aliases': list(s.DATABASES), 'routers': s.DATABASE_ROUTERS, "
        "'middleware': s.MIDDLEWARE}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env |= {"DJANGO_SETTINGS_MODULE": "portal.settings.production", "DJANGO_SECRET_KEY": "k" * 60}
    env |= {"DATABASE_URL": "postgres://portal@db.internal:5432/portal", **extra}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.django_db(databases=["default"])
def test_the_replica_is_off_unless_its_url_is_set():
    off = _production_settings()
    assert off["aliases"] == ["default"] and off["routers"] == []
    assert "portal.dbrouter.ReplicaPinMiddleware" not in off["middleware"]

    on = _production_settings(DATABASE_REPLICA_URL="postgres://portal@replica.internal:5432/portal")
    assert on["aliases"] == ["default", "replica"]
    assert on["routers"] == ["portal.dbrouter.ReplicaRouter"]
    pin = on["middleware"].index("portal.dbrouter.ReplicaPinMiddleware")
    assert pin < on["middleware"].index("django.contrib.sessions.middleware.SessionMiddleware")
