"""Delegated admin (DAP) in the browser, on the demo data: Contoso's admin administers Adatum
Retail on its behalf (banner, the customer's users), leaves; Adatum's Global admin reads its
Partner relationships and removes Contoso's access."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from devtools.demo.portal import PASSWORD
from portal.models import User
from tests.e2e.conftest import screenshot, sign_in
from tests.gates.test_accessibility import AXE_OPTIONS

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _no_wcag_violations(page) -> None:
    page.wait_for_load_state("load")
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]


def test_provider_administers_adatum_and_adatum_removes_its_access(new_page):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # Adatum's people read Italian; the selectors below are the English words.
    User.objects.filter(email="admin@adatum-retail.example").update(language="en")

    p = new_page()
    sign_in(p, "admin@contoso-distribution.example", PASSWORD)
    p.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    p.get_by_role("link", name="Adatum Retail S.p.A.").first.click()
    expect(p.get_by_role("heading", name="Delegated admin access")).to_be_visible()
    screenshot(p, "delegation-customer-detail")
    _no_wcag_violations(p)
    p.get_by_role("button", name="Administer on behalf of Adatum Retail S.p.A.").click()
    banner = p.get_by_role("region", name="Delegated administration")
    expect(banner).to_contain_text(
        "You are administering Adatum Retail S.p.A. on behalf of Contoso Distribution (delegated)."
    )
    expect(p.get_by_role("heading", name="User management")).to_be_visible()
    screenshot(p, "delegation-banner")
    _no_wcag_violations(p)
    # A user added in Adatum's account while administering it.
    p.get_by_role("link", name="Add user").click()
    p.get_by_label("Work email").fill("giulia.verdi@adatum-retail.example")
    p.get_by_label("First name").fill("Giulia")
    p.get_by_label("Last name").fill("Verdi")
    p.get_by_label("Sales agent").check()
    p.get_by_role("button", name="Add user").click()
    expect(p.get_by_text("giulia.verdi@adatum-retail.example was added")).to_be_visible()
    banner.get_by_role("button", name="Leave customer's account").click()
    expect(p.get_by_role("region", name="Delegated administration")).to_have_count(0)
    expect(p.get_by_text("You left the account of Adatum Retail S.p.A.")).to_be_visible()

    c = new_page()
    sign_in(c, "admin@adatum-retail.example", PASSWORD)
    c.goto("/audit-log/")
    delegated = c.get_by_role("row", name=re.compile(r"Chiara Conti, Contoso Distribution"))
    expect(delegated).to_have_count(1)
    expect(delegated).to_contain_text("(delegated)")
    expect(delegated).to_contain_text("User added")
    screenshot(c, "delegation-audit-log")
    _no_wcag_violations(c)
    c.goto("/partner-relationships/")
    expect(c.get_by_role("heading", name="Partner relationships", level=1)).to_be_visible()
    screenshot(c, "delegation-partner-relationships")
    _no_wcag_violations(c)
    row = c.get_by_role("row", name=re.compile("Contoso Distribution"))
    row.get_by_role("link", name=re.compile("Remove admin access")).click()
    c.get_by_role("button", name="Yes, remove admin access").click()
    expect(c.get_by_text("The admin access of Contoso Distribution")).to_be_visible()
    screenshot(c, "delegation-partner-relationships-removed")

    # Contoso's next attempt is refused, with the reason.
    p.goto("/customers/")
    p.get_by_role("link", name="Adatum Retail S.p.A.").first.click()
    p.get_by_role("button", name="Administer on behalf of Adatum Retail S.p.A.").click()
    expect(p.get_by_role("alert")).to_contain_text("Adatum Retail S.p.A. removed the admin access")
