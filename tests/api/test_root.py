"""GET /api/v1/: the API's root links its schema, docs, token endpoint and every endpoint
without a parameter, to anyone (no token), and stays out of the schema."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from api.root import endpoint_names
from api.urls import urlpatterns

pytestmark = pytest.mark.django_db


def test_the_root_links_the_schema_docs_token_and_endpoints_without_a_token():
    response = Client().get("/api/v1/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    root = response.json()
    assert {key: urlsplit(url).path for key, url in root["links"].items()} == {
        "schema": "/api/v1/openapi.json",
        "docs": "/api/v1/docs/",
        "token": "/api/v1/oauth/token/",
    }
    assert all(url.startswith("http://testserver/") for url in root["links"].values())
    paths = {name: urlsplit(url).path for name, url in root["endpoints"].items()}
    assert {
        "indirect_resellers": "/api/v1/indirect-resellers/",
        "reseller_invitations": "/api/v1/reseller-invitations/",
        "customers": "/api/v1/customers/",
        "offers": "/api/v1/offers/",
        "orders": "/api/v1/orders/",
        "subscriptions": "/api/v1/subscriptions/",
    }.items() <= paths.items()
    assert "root" not in paths and "/api/v1/" not in paths.values()
    # Every endpoint is in the schema, and each asks for a token.
    schema = Client().get(root["links"]["schema"]).json()
    assert set(paths.values()) <= set(schema["paths"])
    for path in paths.values():
        if path == "/api/v1/orders/":
            answer = Client().post(path, {}, content_type="application/json")
        else:
            answer = Client().get(path)
        assert answer.status_code == 401, path
    assert Client().get(root["links"]["docs"]).status_code == 200


def test_the_root_is_not_an_operation_of_the_schema_and_takes_only_get():
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/" not in schema["paths"]
    refused = Client().post("/api/v1/", {}, content_type="application/json")
    assert refused.status_code == 405
    assert refused["Content-Type"] == "application/problem+json"


def test_every_parameterless_route_but_the_links_is_an_endpoint():
    names = endpoint_names(urlpatterns)
    assert len(names) == len(set(names)) >= 14
    assert not {"schema", "docs", "token", "root"} & set(names)
