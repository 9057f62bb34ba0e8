"""/api/v1/ writes: orders and subscription changes through the pages' services, with the
client as the audit actor, Idempotency-Key on every POST, ETag/If-Match on changes, and the
subscriptions list's filters."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from api import endpoints_orders
from api.idempotency import idempotency_keys_sweep
from api.models import IdempotencyKey
from commerce.models import Offer, Order, Subscription
from portal.models import AuditEvent
from tests.api.factories import admin_of, api_client_of, bearer
from tests.api.test_api import assert_problem
from tests.commerce.factories import subscription_for
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
)

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def world():
    """Contoso (provider) and Northwind (reseller) share Adatum (Italian, EUR); another
    tenant's subscription beside them."""
    shared = CustomerRelationshipFactory(
        customer=customer_org(legal_name="Adatum Retail S.p.A."),
        relationship=ProviderRelationshipFactory(
            provider=provider_org(legal_name="Contoso Distribution")
        ),
    )
    other = subscription_for(CustomerRelationshipFactory())
    return {"shared": shared, "provider": shared.provider, "other": other}


def _order_body(world, **extra):
    return {
        "customer_id": world["shared"].customer_id,
        "offer_id": Offer.objects.get(code="team-workspace-standard").pk,
        "quantity": 10,
        "term": "monthly",
        "billing_frequency": "monthly",
        **extra,
    }


def _place(api: Client, world, key: str | None = None, **extra):
    headers = {"Idempotency-Key": key} if key else {}
    return api.post("/api/v1/orders/", _order_body(world, **extra), JSON, headers=headers)


def test_place_raise_auto_renew_and_cancel_in_the_window(world):
    created = api_client_of(admin_of(world["provider"]), ["admin_agent"], name="PSA sync")
    api = bearer(created)
    placed = _place(api, world)
    assert placed.status_code == 201, placed.content
    body = placed.json()
    assert body["quantity"] == 10 and body["customer"]["id"] == world["shared"].customer_id
    order = Order.objects.get(subscription_id=body["id"])
    assert order.placed_by is None and order.placed_by_organization == world["provider"]
    url = f"/api/v1/subscriptions/{body['id']}/"
    assert placed["ETag"] == api.get(url)["ETag"]

    # Distinct prices per tier: a provider's answers carry its cost and its sell price only.
    Subscription.objects.filter(pk=body["id"]).update(
        unit_price=Decimal("10.00"),
        reseller_price=Decimal("11.20"),
        customer_price=Decimal("13.44"),
    )
    raised = api.patch(url, {"quantity": 12}, JSON, headers={"If-Match": placed["ETag"]})
    assert raised.status_code == 200, raised.content
    assert (raised.json()["unit_price"], raised.json()["sell_unit_price"]) == ("10.00", "11.20")
    assert b"13.44" not in raised.content and b"13.44" not in api.get(url).content
    assert raised.json()["quantity"] == 12 and raised["ETag"] != placed["ETag"]
    renew = api.patch(url, {"auto_renew": False}, JSON, headers={"If-Match": raised["ETag"]})
    assert renew.status_code == 200 and renew.json()["auto_renew"] is False
    cancelled = api.post(f"{url}cancel/", content_type=JSON, headers={"If-Match": renew["ETag"]})
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"

    # Every call is audited with the client as the actor, in each party's log.
    events = AuditEvent.objects.filter(organization=world["provider"], type__startswith="commerce.")
    assert {e.type for e in events} >= {"commerce.order.placed", "commerce.subscription.cancelled"}
    for event in events:
        assert event.actor is None
        assert event.details["api_client"] == created.client.label
        assert event.actor_organization == world["provider"]


def test_a_rule_refusal_is_a_422_problem_with_the_fields_translated(world):
    api = bearer(api_client_of(admin_of(world["provider"])))
    too_many = assert_problem(_place(api, world, quantity=10**6), 422)
    assert "quantity" in too_many["errors"] and "Enter a quantity" in too_many["detail"]
    italian = api.post(
        "/api/v1/orders/",
        _order_body(world, quantity=10**6),
        JSON,
        headers={"Accept-Language": "it"},
    )
    assert assert_problem(italian, 422)["detail"] != too_many["detail"]
    # Outside the window a reduction and a cancellation are refused with the service's reason.
    sub = subscription_for(world["shared"], purchased=timezone.now() - timedelta(days=9))
    url = f"/api/v1/subscriptions/{sub.pk}/"
    tag = api.get(url)["ETag"]
    lower = assert_problem(api.patch(url, {"quantity": 2}, JSON, headers={"If-Match": tag}), 422)
    assert "7 days" in lower["detail"]
    assert_problem(api.post(f"{url}cancel/", content_type=JSON, headers={"If-Match": tag}), 422)


INVALID = [
    {"quantity": "many"},
    {"quantity": 0},
    {"term": "weekly"},
    {"customer_id": -1},
    {"quantity": 2**40},
    {"provider_id": "x"},
    {"offer_id": None},
]


def test_invalid_bodies_are_400_problems(world):
    api = bearer(api_client_of(admin_of(world["provider"])))
    full = _order_body(world)
    for body in [{**full, **change} for change in INVALID] + [{}]:
        assert "errors" in assert_problem(api.post("/api/v1/orders/", body, JSON), 400)
    assert_problem(api.post("/api/v1/orders/", "[1, 2]", JSON), 400)
    assert_problem(api.post("/api/v1/orders/", "{not json", JSON), 400)
    assert not Subscription.objects.filter(customer=world["shared"].customer).exists()


def test_a_repeat_with_the_same_key_returns_the_first_result(world):
    api = bearer(api_client_of(admin_of(world["provider"])))
    first = _place(api, world, key="order-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    again = _place(api, world, key="order-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Subscription.objects.filter(customer=world["shared"].customer).count() == 1
    # The same key with another body: 422, nothing placed.
    other = assert_problem(_place(api, world, key="order-1", quantity=11), 422)
    assert "Idempotency-Key" in other["detail"]
    # Another key places another order; no key never replays.
    assert _place(api, world, key="order-2").status_code == 201
    assert _place(api, world).status_code == 201
    assert Subscription.objects.filter(customer=world["shared"].customer).count() == 3
    assert_problem(_place(api, world, key="has space"), 400)


def test_keys_are_the_clients_own_and_expire_after_a_day(world):
    admin = admin_of(world["provider"])
    created = api_client_of(admin)
    api = bearer(created)
    other = bearer(api_client_of(admin, name="Other"))
    assert _place(api, world, key="k").status_code == 201
    assert "Idempotent-Replayed" not in _place(other, world, key="k")
    assert _place(api, world, key="k")["Idempotent-Replayed"] == "true"
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        fresh = bearer(created)  # (the first token expired)
        placed = _place(fresh, world, key="k")
        assert placed.status_code == 201 and "Idempotent-Replayed" not in placed
        assert idempotency_keys_sweep() == 1  # the other client's, a day old
    assert Subscription.objects.filter(customer=world["shared"].customer).count() == 3


def test_the_sweep_forgets_keys_older_than_a_day(world):
    api = bearer(api_client_of(admin_of(world["provider"])))
    _place(api, world, key="old")
    assert IdempotencyKey.objects.count() == 1
    assert idempotency_keys_sweep(now=timezone.now() + timedelta(hours=23)) == 0
    assert idempotency_keys_sweep(now=timezone.now() + timedelta(hours=25)) == 1


def test_a_failed_answer_is_not_kept(world):
    api = bearer(api_client_of(admin_of(world["provider"])))
    sub = subscription_for(world["shared"])
    url = f"/api/v1/subscriptions/{sub.pk}/cancel/"
    assert_problem(api.post(url, content_type=JSON, headers={"Idempotency-Key": "c"}), 428)
    tag = api.get(f"/api/v1/subscriptions/{sub.pk}/")["ETag"]
    done = api.post(url, content_type=JSON, headers={"Idempotency-Key": "c", "If-Match": tag})
    assert done.status_code == 200 and "Idempotent-Replayed" not in done
    again = api.post(url, content_type=JSON, headers={"Idempotency-Key": "c", "If-Match": tag})
    assert again["Idempotent-Replayed"] == "true" and again.json() == done.json()


def test_changes_need_the_current_etag(world):
    api = bearer(api_client_of(admin_of(world["provider"])))
    sub = subscription_for(world["shared"], quantity=5)
    url = f"/api/v1/subscriptions/{sub.pk}/"
    tag = api.get(url)["ETag"]
    assert_problem(api.patch(url, {"quantity": 6}, JSON), 428)
    assert_problem(api.post(f"{url}cancel/", content_type=JSON), 428)
    assert api.patch(url, {"quantity": 6}, JSON, headers={"If-Match": tag}).status_code == 200
    stale = assert_problem(api.patch(url, {"quantity": 7}, JSON, headers={"If-Match": tag}), 412)
    assert "changed since" in stale["detail"]
    assert_problem(api.post(f"{url}cancel/", content_type=JSON, headers={"If-Match": tag}), 412)
    sub.refresh_from_db()
    assert sub.quantity == 6 and sub.status == "active"
    assert api.patch(url, {"auto_renew": False}, JSON, headers={"If-Match": "*"}).status_code == 200
    unchanged = api.patch(url, {}, JSON, headers={"If-Match": "*"})  # nothing to change
    assert unchanged.status_code == 200 and unchanged.json()["quantity"] == 6


def test_another_tenants_subscription_is_a_404_for_every_write(world):
    api = bearer(api_client_of(admin_of(world["provider"])))
    other = world["other"]
    for ident in (other.pk, 999999999):
        url = f"/api/v1/subscriptions/{ident}/"
        assert_problem(api.patch(url, {"quantity": 100}, JSON, headers={"If-Match": "*"}), 404)
        assert_problem(api.post(f"{url}cancel/", content_type=JSON, headers={"If-Match": "*"}), 404)
    assert_problem(
        api.post("/api/v1/subscriptions/x/cancel/", content_type=JSON, headers={"If-Match": "*"}),
        404,
    )
    other.refresh_from_db()
    assert other.quantity == 7 and other.status == "active"
    # An order for another tenant's customer is refused by the service's rule.
    body = _order_body(world, customer_id=other.customer_id)
    assert_problem(api.post("/api/v1/orders/", body, JSON), 422)


def test_roles_without_place_order_get_403(world):
    admin = admin_of(world["provider"])
    billing = bearer(api_client_of(admin, ["billing_admin"], name="Billing"))
    assert_problem(_place(billing, world), 403)
    sub = subscription_for(world["shared"])
    url = f"/api/v1/subscriptions/{sub.pk}/"
    # The service's own check refuses a change the roles do not allow.
    assert_problem(billing.patch(url, {"quantity": 9}, JSON, headers={"If-Match": "*"}), 403)
    assert_problem(billing.post(f"{url}cancel/", content_type=JSON, headers={"If-Match": "*"}), 403)
    assert not Order.objects.exists()
    sub.refresh_from_db()
    assert sub.quantity == 7


def test_the_list_filters(world):
    api = bearer(api_client_of(admin_of(world["provider"])))
    eur = subscription_for(world["shared"])
    usd = subscription_for(world["shared"], currency="USD")
    gone = subscription_for(world["shared"])
    Subscription.objects.filter(pk=gone.pk).update(status="cancelled")
    other_customer = CustomerRelationshipFactory(
        reseller=world["shared"].reseller, provider=world["provider"]
    )
    theirs = subscription_for(other_customer)

    def ids(query: str) -> set[int]:
        response = api.get(f"/api/v1/subscriptions/?{query}")
        assert response.status_code == 200, response.content
        return {s["id"] for s in response.json()["results"]}

    assert ids("currency=USD") == {usd.pk}
    assert ids("status=cancelled") == {gone.pk}
    assert ids(f"customer_id={other_customer.customer_id}") == {theirs.pk}
    assert ids(f"status=active&currency=EUR&customer_id={eur.customer_id}") == {eur.pk}
    assert ids(f"customer_id={world['other'].customer_id}") == set()  # not another tenant's
    bad_filters = ("status=", "status=gone", "currency=eur", "currency=EURO", "customer_id=x")
    for bad in (*bad_filters, "customer_id=0"):
        assert "errors" in assert_problem(api.get(f"/api/v1/subscriptions/?{bad}"), 400)


def test_the_schema_documents_the_headers():
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path, operations in paths.items():
        if "post" in operations and path.startswith("/api/v1/") and "oauth" not in path:
            names = {p["name"] for p in operations["post"].get("parameters", [])}
            assert "Idempotency-Key" in names, path
            assert {"409", "422"} <= set(operations["post"]["responses"]), path
    patch = paths["/api/v1/subscriptions/{id}/"]["patch"]
    assert any(p["name"] == "If-Match" and p["required"] for p in patch["parameters"])
    assert {"412", "428"} <= set(patch["responses"])
    cancel = paths["/api/v1/subscriptions/{id}/cancel/"]["post"]
    assert {"If-Match", "Idempotency-Key"} <= {p["name"] for p in cancel["parameters"]}
    listing = paths["/api/v1/subscriptions/"]["get"]
    assert {"status", "currency", "customer_id"} <= {p["name"] for p in listing["parameters"]}
    assert "/api/v1/orders/" in paths


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_concurrent_first_requests_run_once(world, monkeypatch):
    real = endpoints_orders.order_place

    def slow(**kwargs):
        placed = real(**kwargs)
        time.sleep(0.5)
        return placed

    monkeypatch.setattr(endpoints_orders, "order_place", slow)
    api = bearer(api_client_of(admin_of(world["provider"])))
    answers = []

    def call():
        try:
            answers.append(_place(api, world, key="race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Subscription.objects.filter(customer=world["shared"].customer).count() == 1
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([201, 201], [201, 409]), statuses
    replayed = [a for a in answers if a.get("Idempotent-Replayed") == "true"]
    assert statuses == [201, 409] or len(replayed) == 1
