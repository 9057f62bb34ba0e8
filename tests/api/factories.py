"""API clients made through the service the settings page calls, and tokens through the real
token endpoint."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from api.services import CreatedClient, api_client_create
from portal.models import Membership
from tests.factories import member

TOKEN_URL = "/api/v1/oauth/token/"


def api_client_of(
    admin: Membership, roles: list[str] | None = None, *, days: int = 30, name: str = "Sync"
) -> CreatedClient:
    return api_client_create(
        actor=admin.user,
        organization=admin.organization,
        name=name,
        roles=roles or ["admin_agent"],
        expires_at=timezone.now() + timedelta(days=days),
    )


def admin_of(organization) -> Membership:
    return member(organization)


def token_response(created: CreatedClient, *, secret: str | None = None, **extra):
    return Client().post(
        TOKEN_URL,
        {
            "grant_type": "client_credentials",
            "client_id": created.client.client_id,
            "client_secret": created.secret if secret is None else secret,
            **extra,
        },
    )


def bearer(created: CreatedClient) -> Client:
    """A test client sending a fresh token of `created` on every request."""
    response = token_response(created)
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    return Client(headers={"Authorization": f"Bearer {token}"})
