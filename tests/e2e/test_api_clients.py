"""Settings → API clients in Chromium: a provider's Global admin finds the page in the settings
menu, creates a client (the secret shown once), the page in English and Italian without WCAG
violations; the secret works at the token endpoint, and the client's call is on its Calls page."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, member
from tests.gates.test_accessibility import AXE_OPTIONS
from tests.relationships.factories import provider_org

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _no_wcag_violations(page) -> None:
    page.wait_for_load_state("load")
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


def test_a_global_admin_creates_an_api_client(new_page, live_server):
    admin = member(provider_org(legal_name="Contoso Test Distribution"))
    p = new_page()
    sign_in(p, admin.user.email, PASSWORD)
    p.goto("/settings/api-clients/")
    expect(p.get_by_role("heading", name="API clients", exact=True)).to_be_visible()
    p.get_by_label("Name").fill("Nightly billing sync")
    p.get_by_label("Sales agent").check()
    p.get_by_label("Billing admin").check()
    p.get_by_role("button", name="Create API client").click()
    expect(p.get_by_role("heading", name=re.compile("copy its secret now"))).to_be_visible()
    secret = p.locator("#client-secret").inner_text()
    client_id = p.locator("dd code").first.inner_text()
    screenshot(p, "api-clients")
    _no_wcag_violations(p)

    token = p.request.post(
        f"{live_server.url}/api/v1/oauth/token/",
        form={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert token.status == 200 and token.json()["scope"] == "billing_admin sales_agent"
    # A call with the token is in the client's call log (written by the call: no Redis here).
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert p.request.get(f"{live_server.url}/api/v1/subscriptions/", headers=bearer).ok
    p.goto("/settings/api-clients/")
    p.get_by_role("link", name="Calls Nightly billing sync").click()
    expect(p.get_by_role("heading", name="Calls of Nightly billing sync")).to_be_visible()
    expect(p.get_by_role("rowheader", name="/api/v1/subscriptions/")).to_be_visible()
    _no_wcag_violations(p)

    admin.user.language = "it"
    admin.user.save(update_fields=["language"])
    p.goto("/settings/api-clients/")
    expect(p.get_by_role("heading", name="Client API", exact=True)).to_be_visible()
    # The token request was its first use: the list says when, and that it is active.
    expect(p.get_by_role("cell", name="Attivo")).to_be_visible()
    expect(p.get_by_role("cell", name="Mai")).to_have_count(0)
    screenshot(p, "api-clients-it")
    _no_wcag_violations(p)
