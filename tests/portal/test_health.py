"""/healthz: the probe compose, the Dockerfile and `make prod`'s smoke test use."""

from unittest import mock

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def test_health_answers_ok_without_session_or_cookies(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies


def test_health_answers_plain_http_on_a_container_address_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    response = client.get("/healthz", HTTP_HOST="172.18.0.5:8000")
    assert response.status_code == 200
    # Every other page still redirects to HTTPS and refuses unknown hosts.
    assert client.get("/", HTTP_HOST="portal.example.com").status_code == 301
    assert client.get("/", HTTP_HOST="172.18.0.5:8000").status_code == 400


def test_health_is_503_when_the_database_does_not_answer(client):
    with mock.patch("portal.health.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert b"database unavailable" in response.content


def test_health_only_reads(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
