"""README's "Contoso's day through the API", run for real: the demo seeded, `manage.py
demo_api_setup` in a child process (an API client and a webhook endpoint for Contoso's Global
admin), then docs/examples/contoso_day.py in another against a live server, while a real Celery
worker (tests/integration/conftest.py) delivers the webhooks to the example's own receiver,
which verifies them with the `standardwebhooks` library."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys

import pytest

from api.events import AuditType as ApiAuditType
from commerce.models import Subscription
from devtools.demo import seed_demo
from portal.models import AuditEvent
from tests.integration.conftest import ROOT, _database_url
from webhooks.events import AuditType as WebhookAuditType
from webhooks.models import WebhookDelivery

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]
EXAMPLE = ROOT / "docs" / "examples" / "contoso_day.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child_env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": _database_url(),
        "PYTHONUNBUFFERED": "1",
    }


def test_contosos_day_runs_and_its_webhooks_arrive_verified(celery_stack, live_server):
    seed_demo()
    port = _free_port()
    setup = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "demo_api_setup",
            "--webhook-url",
            f"http://127.0.0.1:{port}/",
        ],
        cwd=ROOT,
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    credentials = dict(
        shlex.split(line)[1].split("=", 1) for line in setup.stdout.splitlines() if line
    )
    assert set(credentials) == {"PORTAL_CLIENT_ID", "PORTAL_CLIENT_SECRET", "PORTAL_WEBHOOK_SECRET"}
    assert credentials["PORTAL_WEBHOOK_SECRET"].startswith("whsec_")
    # Made by Contoso's Global admin through the services: in its audit log.
    audited = set(
        AuditEvent.objects.filter(
            organization__legal_name__startswith="Contoso",
            actor__email="admin@contoso-distribution.example",
        ).values_list("type", flat=True)
    )
    assert {ApiAuditType.API_CLIENT_CREATED, WebhookAuditType.ENDPOINT_CREATED} <= audited

    example = subprocess.run(
        [sys.executable, str(EXAMPLE), "--base-url", live_server.url, "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **credentials},
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = example.stdout + example.stderr
    print(f"\n{example.stdout}")
    assert example.returncode == 0, output
    lines = example.stdout.splitlines()
    for step in ("token", "resellers", "invitation", "customer", "offer", "order", "quantity"):
        assert any(line.startswith(f"{step} ") for line in lines), output
    assert "Northwind IT" in example.stdout and lines[-1].startswith("done")

    subscription = Subscription.objects.order_by("-pk").first()
    assert subscription is not None and subscription.reseller.legal_name.startswith("Northwind")
    about = f"verified (subscription {subscription.pk})"
    for event in ("commerce.order.placed", "commerce.subscription.quantity_changed"):
        assert any(
            line.startswith(f"webhook     {event} msg_") and about in line for line in lines
        ), output
    assert "REJECTED" not in output
    # The worker recorded both deliveries as delivered.
    sent = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.SENT, payload__data__subscription=subscription.pk
    )
    assert set(sent.values_list("event_type", flat=True)) == {
        "commerce.order.placed",
        "commerce.subscription.quantity_changed",
    }
