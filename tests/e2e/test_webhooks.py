"""A Global admin opens Webhooks from Account settings, adds an endpoint with the keyboard,
copies its secret, sends a test event and reads the delivery log, in English and Italian."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, member
from tests.gates.test_accessibility import AXE_OPTIONS
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _no_wcag_violations(page) -> None:
    page.wait_for_load_state("load")
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


def test_admin_adds_an_endpoint_and_reads_its_delivery_log(page):
    admin = member()
    sign_in(page, admin.user.email, PASSWORD)
    page.get_by_role("list", name="Account settings").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    page.get_by_role("link", name="Add endpoint").click()
    page.get_by_label("Endpoint URL").fill("http://127.0.0.1:9/hooks")
    page.get_by_label("Subscription cancelled").check()
    page.get_by_label("Subscription ordered").check()
    screenshot(page, "webhooks-add")
    _no_wcag_violations(page)
    page.get_by_role("button", name="Add endpoint").press("Enter")
    endpoint = WebhookEndpoint.objects.get(organization=admin.organization)
    expect(page.get_by_role("textbox", name="Signing secret")).to_have_value(endpoint.secret)
    screenshot(page, "webhooks-secret")
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("rowheader", name=endpoint.url)).to_be_visible()
    _no_wcag_violations(page)
    screenshot(page, "webhooks")

    page.get_by_role("button", name=f"Send test event {endpoint.url}").click()
    expect(page.get_by_role("heading", name="Delivery log", level=1)).to_be_visible()
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    # Nothing listens on port 9: the attempt failed and waits for its retry.
    expect(page.get_by_role("rowheader", name=f"Test event {delivery.webhook_id}")).to_be_visible()
    _no_wcag_violations(page)
    screenshot(page, "webhooks-deliveries")

    page.get_by_label("Language").select_option("it")
    page.get_by_role("button", name="Change language").click()
    expect(page.get_by_role("heading", name="Registro delle consegne", level=1)).to_be_visible()
    expect(
        page.get_by_role("rowheader", name=f"Evento di prova {delivery.webhook_id}")
    ).to_be_visible()
    screenshot(page, "webhooks-deliveries-it")
    page.get_by_role("link", name="Webhook", exact=True).first.click()
    expect(page.get_by_role("button", name=f"Invia evento di prova {endpoint.url}")).to_be_visible()
    _no_wcag_violations(page)
    screenshot(page, "webhooks-it")
