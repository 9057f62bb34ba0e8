"""/healthz: liveness, "the process answers" (compose's and the Dockerfile's healthcheck of web,
`make prod`'s smoke test). It touches neither the database, the cache nor the broker: a restart
cures none of them, and /readyz reports them."""

import pytest


def test_health_answers_ok_without_session_or_cookies(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies


@pytest.mark.django_db
def test_health_answers_plain_http_on_a_container_address_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    response = client.get("/healthz", HTTP_HOST="172.18.0.5:8000")
    assert response.status_code == 200
    # Every other page still redirects to HTTPS and refuses unknown hosts.
    assert client.get("/", HTTP_HOST="portal.example.com").status_code == 301
    assert client.get("/", HTTP_HOST="172.18.0.5:8000").status_code == 400


def test_health_answers_without_the_database(client):
    """No database access is allowed in this test (no django_db mark): pytest-django fails any
    query, so a /healthz that still ran `SELECT 1` would fail here."""
    response = client.get("/healthz")
    assert response.status_code == 200


def test_health_only_reads(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
