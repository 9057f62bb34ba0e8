"""The invoice pages in Chromium: a reseller's Global admin reaches Invoices from the Billing
page, opens an invoice and the reconciliation page, in English and Italian, without WCAG
violations (screenshots in var/screenshots/)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, member, profile_for
from tests.gates.test_accessibility import AXE_OPTIONS
from tests.invoicing.factories import chain

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _no_wcag_violations(page) -> None:
    page.wait_for_load_state("load")
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


def test_a_reseller_reads_its_invoices_and_reconciliation_page(new_page):
    c = chain()
    profile_for(c.northwind)
    admin = member(c.northwind)
    p = new_page()
    sign_in(p, admin.user.email, PASSWORD)
    p.goto("/billing/")
    p.get_by_role("main").get_by_role("link", name="Invoices", exact=True).click()
    expect(p.get_by_role("heading", name="Invoices", exact=True)).to_be_visible()
    expect(p.get_by_role("link", name=c.provider_invoice.number)).to_be_visible()
    screenshot(p, "invoices")
    _no_wcag_violations(p)

    p.get_by_role("link", name=c.reseller_invoice.number).click()
    expect(p.get_by_role("heading", name=f"Invoice {c.reseller_invoice.number}")).to_be_visible()
    expect(p.get_by_role("link", name="Download PDF")).to_be_visible()
    screenshot(p, "invoice-detail")
    _no_wcag_violations(p)

    p.goto("/billing/reconciliation/")
    expect(p.get_by_label("Billing period")).to_be_visible()
    screenshot(p, "reconciliation")
    _no_wcag_violations(p)

    admin.user.language = "it"
    admin.user.save(update_fields=["language"])
    p.goto(f"/billing/invoices/{c.reseller_invoice.pk}/")
    expect(p.get_by_role("link", name="Scarica il PDF")).to_be_visible()
    screenshot(p, "invoice-detail-it")
    _no_wcag_violations(p)
