"""Issue 25's money pages in Chromium over the real flow (tests/invoicing/flow.py): the Price
lists page of Contoso and of Northwind, Northwind's invoices, one invoice and the
reconciliation page, at 1280 and 375 CSS px, in English and Italian, each without WCAG
violations and without horizontal overflow at 375 px (screenshots in var/screenshots/)."""

from itertools import pairwise

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD
from tests.gates.test_accessibility import AXE_OPTIONS
from tests.invoicing.flow import june_closed

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WIDTHS = (1280, 375)


def _check(page, name: str, width: int) -> None:
    page.wait_for_load_state("load")
    page.set_viewport_size({"width": width, "height": 900})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (name, width, overflow)
    screenshot(page, f"{name}-{width}")
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
    headings = page.eval_on_selector_all(
        "main h1, main h2, main h3, main h4", "els => els.map(e => Number(e.tagName[1]))"
    )
    assert headings and headings[0] == 1, (name, headings)
    assert all(b - a <= 1 for a, b in pairwise(headings)), (name, headings)


def _pages(new_page, membership, urls: dict[str, str], language: str) -> None:
    membership.user.language = language
    membership.user.save(update_fields=["language"])
    p = new_page()
    sign_in(p, membership.user.email, PASSWORD)
    for name, url in urls.items():
        p.goto(url)
        for width in WIDTHS:
            _check(p, f"{name}-{language}", width)


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_money_pages_read_well_at_both_widths(new_page, language):
    flow = june_closed()
    _pages(
        new_page,
        flow.admins["contoso"],
        {"price-lists-contoso": "/billing/price-lists/"},
        language,
    )
    _pages(
        new_page,
        flow.admins["northwind"],
        {
            "price-lists-northwind": "/billing/price-lists/",
            "invoices-northwind": "/billing/invoices/",
            "invoice-detail-northwind": f"/billing/invoices/{flow.to_adatum.pk}/",
            "reconciliation-northwind": "/billing/reconciliation/",
        },
        language,
    )


def test_a_reseller_reaches_its_price_list_and_sees_its_rule(new_page):
    flow = june_closed()
    p = new_page()
    sign_in(p, flow.admins["northwind"].user.email, PASSWORD)
    p.goto("/billing/")
    p.get_by_role("main").get_by_role("link", name="Price lists: what your buyers pay you").click()
    expect(p.get_by_role("heading", level=1)).to_be_visible()
    expect(p.get_by_role("main")).to_contain_text("Adatum Corporation")
    expect(p.get_by_role("main")).to_contain_text("20")
