"""Links in emails open on the origin the portal is served on (issue 13: any port but 8000 was
dead). An email queued while serving a request follows that request's origin; one queued
outside a request follows SITE_URL, whose local default follows PORT."""

import os
import re
import subprocess
import sys
from pathlib import Path

from portal.models import OutboxMessage
from portal.outbox import absolute_url

ROOT = Path(__file__).resolve().parents[2]
USERS = "/settings/users/"


def _links(message: OutboxMessage) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", message.body_text + message.body_html)


def test_an_email_queued_by_a_request_links_to_the_origin_it_was_served_on(
    client_for, reseller_admin
):
    domain = reseller_admin.organization.primary_domain
    client_for(reseller_admin).post(
        f"{USERS}add/",
        {"email": f"ada@{domain}", "first_name": "Ada", "last_name": "L", "roles": ["sales_agent"]},
        HTTP_HOST="localhost:8123",
    )
    links = _links(OutboxMessage.objects.get(to_email=f"ada@{domain}"))
    assert links and all(link.startswith("http://localhost:8123/") for link in links)


def test_an_email_queued_outside_a_request_links_to_site_url(settings):
    settings.SITE_URL = "http://127.0.0.1:8123"
    assert absolute_url("/verification/") == "http://127.0.0.1:8123/verification/"


def test_the_local_site_url_follows_port():
    env = {**os.environ, "PORT": "8123", "DJANGO_SETTINGS_MODULE": "portal.settings.local"}
    env.pop("SITE_URL", None)
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "http://127.0.0.1:8123"
