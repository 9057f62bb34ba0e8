"""/api/v1/ through the client credentials flow: tokens, the tenant's lists and objects, the
policy table's roles, errors as problem+json, paging, the rate limit and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import endpoints
from api.services import api_client_revoke
from portal.models import AuditEvent
from tests.api.factories import admin_of, api_client_of, bearer, token_response
from tests.commerce.billing_factories import subscription
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
    reseller_org,
)

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture
def world():
    """A provider with a reseller, a shared customer and two subscriptions; another tenant's
    subscription beside them."""
    provider = provider_org(legal_name="Apiprov Distribution")
    pair = ProviderRelationshipFactory(
        provider=provider, reseller=reseller_org(legal_name="Apiresell IT")
    )
    shared = CustomerRelationshipFactory(
        relationship=pair, customer=customer_org(legal_name="Apicust Retail")
    )
    mine = [subscription(shared, quantity=3), subscription(shared, quantity=4)]
    other = subscription(quantity=9)
    return {"provider": provider, "pair": pair, "shared": shared, "mine": mine, "other": other}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("/api/v1/problems/") and body["title"] and body["detail"]
    return body


def test_a_token_lists_the_organizations_data(world):
    created = api_client_of(admin_of(world["provider"]), ["admin_agent"])
    api = bearer(created)

    organization = api.get("/api/v1/organization/").json()
    assert organization["legal_name"] == "Apiprov Distribution"
    assert organization["kind"] == "provider"

    resellers = api.get("/api/v1/indirect-resellers/").json()
    assert [r["reseller"]["legal_name"] for r in resellers["results"]] == ["Apiresell IT"]
    customers = api.get("/api/v1/customers/").json()
    assert [c["customer"]["legal_name"] for c in customers["results"]] == ["Apicust Retail"]

    subscriptions = api.get("/api/v1/subscriptions/").json()
    ids = {s["id"] for s in subscriptions["results"]}
    assert ids == {s.pk for s in world["mine"]}  # not the other tenant's
    assert subscriptions["next"] is None
    one = api.get(f"/api/v1/subscriptions/{world['mine'][0].pk}/").json()
    assert one["quantity"] == 3 and one["customer"]["legal_name"] == "Apicust Retail"


def test_the_secret_is_stored_hashed(world):
    created = api_client_of(admin_of(world["provider"]))
    stored = created.client.application.client_secret
    assert stored != created.secret and created.secret not in stored
    assert check_password(created.secret, stored)


def test_a_wrong_secret_is_a_401_problem_in_the_callers_language(world):
    created = api_client_of(admin_of(world["provider"]))
    body = assert_problem(token_response(created, secret="not-the-secret"), 401)
    assert body["error"] == "invalid_client"
    assert "secret is wrong" in body["detail"]
    italian = Client(headers={"Accept-Language": "it"}).post(
        "/api/v1/oauth/token/",
        {
            "grant_type": "client_credentials",
            "client_id": created.client.client_id,
            "client_secret": "nope",
        },
    )
    assert "segreto" in assert_problem(italian, 401)["detail"]


def test_no_token_or_a_bad_one_is_a_401_problem(world):
    body = assert_problem(Client().get("/api/v1/subscriptions/"), 401)
    assert "Bearer" in body["detail"]
    bad = Client(headers={"Authorization": "Bearer made-up"}).get("/api/v1/subscriptions/")
    assert_problem(bad, 401)
    assert bad["WWW-Authenticate"].startswith("Bearer")


def test_another_tenants_subscription_is_a_404(world):
    api = bearer(api_client_of(admin_of(world["provider"])))
    body = assert_problem(api.get(f"/api/v1/subscriptions/{world['other'].pk}/"), 404)
    missing = assert_problem(api.get("/api/v1/subscriptions/999999999/"), 404)
    assert body == missing  # indistinguishable from a missing one
    assert_problem(api.get("/api/v1/subscriptions/not-a-number/"), 404)
    italian = api.get(
        f"/api/v1/subscriptions/{world['other'].pk}/", headers={"Accept-Language": "it"}
    )
    assert assert_problem(italian, 404)["detail"] != body["detail"]


def test_a_revoked_client_is_refused_at_once(world):
    admin = admin_of(world["provider"])
    created = api_client_of(admin)
    api = bearer(created)
    assert api.get("/api/v1/organization/").status_code == 200
    api_client_revoke(actor=admin.user, client=created.client)
    assert_problem(api.get("/api/v1/organization/"), 401)
    assert_problem(token_response(created), 401)


def test_an_expired_client_is_refused(world):
    created = api_client_of(admin_of(world["provider"]), days=2)
    api = bearer(created)
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert_problem(api.get("/api/v1/organization/"), 401)
        assert_problem(token_response(created), 401)


def test_the_clients_roles_decide_through_the_policy_table(world):
    admin = admin_of(world["provider"])
    billing = bearer(api_client_of(admin, ["billing_admin"], name="Billing"))
    # A Billing admin sees subscriptions but not the Customers page (portal/policy.py).
    assert billing.get("/api/v1/subscriptions/").status_code == 200
    assert_problem(billing.get("/api/v1/customers/"), 403)
    # A token asked for fewer roles than the client holds gets only those.
    created = api_client_of(admin, ["admin_agent", "billing_admin"], name="Both")
    narrow = token_response(created, scope="billing_admin")
    assert narrow.status_code == 200 and narrow.json()["scope"] == "billing_admin"
    api = Client(headers={"Authorization": f"Bearer {narrow.json()['access_token']}"})
    assert_problem(api.get("/api/v1/customers/"), 403)
    # No scope beyond the client's roles.
    assert_problem(token_response(created, scope="global_admin"), 400)


def test_a_resellers_client_has_no_indirect_resellers_endpoint(world):
    api = bearer(api_client_of(admin_of(world["pair"].reseller)))
    assert_problem(api.get("/api/v1/indirect-resellers/"), 404)
    subscriptions = api.get("/api/v1/subscriptions/").json()["results"]
    assert {s["id"] for s in subscriptions} == {s.pk for s in world["mine"]}


def test_pages_follow_next_links_to_the_end(world, monkeypatch):
    monkeypatch.setattr(endpoints, "PAGE_SIZE", 1)
    subscription(world["shared"], quantity=5)
    api = bearer(api_client_of(admin_of(world["provider"])))
    seen, url = [], "/api/v1/subscriptions/"
    while url:
        page = api.get(url).json()
        seen += [s["id"] for s in page["results"]]
        url = page["next"]
        assert url is None or url.startswith("http://testserver/api/v1/subscriptions/?cursor=")
    assert len(seen) == 3 == len(set(seen))
    assert_problem(api.get("/api/v1/subscriptions/?cursor=garbage"), 400)


def _queries(api: Client, path: str) -> int:
    api.get(path)  # the first call records the client's last use (once a minute)
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(path).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("path", ["/api/v1/subscriptions/", "/api/v1/customers/"])
def test_a_page_costs_the_same_queries_whatever_its_size(path, settings):
    settings.PAGE_MEMO = False  # the page's own SQL, read each time (not kept: portal.pagememo)
    counts = []
    for size in (1, 12):
        provider = provider_org()
        pair = ProviderRelationshipFactory(provider=provider)
        for _n in range(size):
            subscription(CustomerRelationshipFactory(relationship=pair))
        api = bearer(api_client_of(admin_of(provider)))
        counts.append(_queries(api, path))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 4, counts  # the token, the client, the page's rows (+ savepoints none)


def test_the_rate_limit_answers_429_with_retry_after(world, settings):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "api_client": "2/m"}
    api = bearer(api_client_of(admin_of(world["provider"])))
    assert api.get("/api/v1/organization/").status_code == 200
    assert api.get("/api/v1/organization/").status_code == 200
    limited = api.get("/api/v1/organization/")
    assert_problem(limited, 429)
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Another client of the same organization has its own count.
    other = bearer(api_client_of(admin_of(world["provider"]), name="Other"))
    assert other.get("/api/v1/organization/").status_code == 200


def test_the_audit_log_names_the_client_as_the_actor(world, client_for):
    admin = admin_of(world["provider"])
    created = api_client_of(admin, name="Nightly billing sync")
    bearer(created).get("/api/v1/subscriptions/")
    event = AuditEvent.objects.get(type="api.token_issued", organization=world["provider"])
    assert event.actor is None
    assert event.details["api_client"] == created.client.label
    created.client.refresh_from_db()
    assert created.client.last_used_at is not None
    page = client_for(admin).get("/audit-log/").content.decode()
    assert f"API client {created.client.label}" in page


def test_the_schema_and_the_docs_are_served_locally():
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["openapi"] == "3.1.0"
    assert {
        "/api/v1/organization/",
        "/api/v1/indirect-resellers/",
        "/api/v1/customers/",
        "/api/v1/subscriptions/",
        "/api/v1/subscriptions/{id}/",
    } <= set(schema["paths"])
    flows = schema["components"]["securitySchemes"]["clientCredentials"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/api/v1/oauth/token/"
    docs = Client().get("/api/v1/docs/")
    text = docs.content.decode()
    assert docs.status_code == 200 and "/api/v1/openapi.json" in text
    assert 'src="/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"' in text
    assert "https://" not in text  # no CDN
