"""Phones: no demo page scrolls sideways at 320 or 390 CSS px (WCAG 1.4.10 Reflow), in English and
in Italian, signed in as each demo user and signed out; the side navigation collapses behind a
Menu button, and the header is one row whose organization button discloses the rest, so every
page's title (its h1) starts within the first TITLE_TOP_MAX px, also in a delegated session under
the "administering on behalf" banner (issue 23: 419 px at 320 px with the banner).

The pages are every page each demo user can open, from the run's one walk of the demo
(tests/gates/conftest.py), opened on the live server serving that demo. One browser; one context
per user and language, signed in by its session cookie; each page is loaded once and measured at
both widths."""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from devtools.demo.portal import PASSWORD
from portal.models import Organization, User
from tests.browser import screenshot, sign_in
from tests.demo_pages import LANGUAGES, walk

WIDTHS = (320, 390)
# Where the page title may start at most, in CSS px from the top of the page (issue 23).
TITLE_TOP_MAX = 200
TITLE_TOP = """() => {
  const title = document.querySelector('main h1') || document.querySelector('h1');
  return title ? title.getBoundingClientRect().top + window.scrollY : null;
}"""
CONTOSO = "admin@contoso-distribution.example"
ADATUM = "adatum-retail.example"
# The widest element that sticks out, to name in the failure.
WIDEST = """() => {
  const limit = window.innerWidth;
  let widest = null, right = 0;
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.right > limit + 0.5 && box.right > right) {
      right = box.right;
      widest = element.tagName.toLowerCase() + (element.id ? '#' + element.id : '')
        + (element.classList.length ? '.' + [...element.classList].join('.') : '');
    }
  }
  return [document.documentElement.scrollWidth, widest];
}"""


def _context(browser, url: str, user: str | None, language: str, client: Client | None = None):
    """A browser context signed in as `user` (or in `client`'s session), reading `language`."""
    context = browser.new_context(
        base_url=url,
        locale="en-GB",
        reduced_motion="reduce",
        viewport={"width": WIDTHS[-1], "height": 800},
    )
    context.set_default_timeout(15000)
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": url}]
    if user and client is None:
        client = Client()
        client.force_login(User.objects.get(email=user))
    if client is not None:
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url})
    context.add_cookies(cookies)
    return context


def _administering_adatum() -> tuple[Client, list[str]]:
    """Contoso's agent administering Adatum on its behalf (the banner on every page), and the
    pages of Adatum's account that session reaches from its first page."""
    client = Client()
    client.force_login(User.objects.get(email=CONTOSO))
    adatum = Organization.objects.get(primary_domain=ADATUM)
    response = client.post(f"/customers/{adatum.pk}/administer/")
    assert response.status_code == 302, "Contoso could not administer Adatum"
    # The dashboard sends an agent in a customer's account to the customer's first page.
    start = client.get("/dashboard/", follow=True).request["PATH_INFO"]
    paths = [path for path, _html in walk(client, [start])]
    return client, paths


def test_no_demo_page_scrolls_sideways_at_320_and_390_px(demo_site, demo_server, chromium):
    # The pages are the same in both languages.
    by_user: dict[str | None, list[str]] = dict(demo_site.browser_pages())
    delegated, delegated_paths = _administering_adatum()
    sessions: list[tuple[str | None, str, Client | None, list[str]]] = [
        (user, user or "signed out", None, paths) for user, paths in by_user.items()
    ]
    sessions.append((CONTOSO, "Contoso administering Adatum", delegated, delegated_paths))
    too_wide: list[str] = []
    too_low: list[str] = []
    measured = 0
    banner_pages = 0
    widest = (0, "")
    lowest = (0.0, "")
    started = time.monotonic()
    for language in LANGUAGES:
        User.objects.update(language=language)
        for user, who, client, paths in sessions:
            context = _context(chromium, demo_server, user, language, client)
            tab = context.new_page()
            for path in paths:
                tab.set_viewport_size({"width": WIDTHS[-1], "height": 800})
                response = tab.goto(path)
                assert response is not None and response.ok, f"{path} ({who}) answered"
                assert tab.locator("html").get_attribute("lang") == language, path
                if client is not None:
                    assert tab.get_by_test_id("delegation-banner").count() == 1, path
                    banner_pages += 1
                for width in WIDTHS:
                    tab.set_viewport_size({"width": width, "height": 800})
                    scroll_width = tab.evaluate("document.documentElement.scrollWidth")
                    measured += 1
                    where = f"[{language}, {width} px] {path} ({who})"
                    widest = max(widest, (scroll_width - width, where))
                    if scroll_width > width:
                        _scroll_width, element = tab.evaluate(WIDEST)
                        too_wide.append(f"{where}: {scroll_width} px wide, widest: {element}")
                    top = tab.evaluate(TITLE_TOP)
                    if top is None or top > TITLE_TOP_MAX:
                        too_low.append(f"{where}: the title starts at {top} px")
                    else:
                        lowest = max(lowest, (top, where))
            context.close()
    print(
        f"\nreflow: {measured} page widths measured in {time.monotonic() - started:.0f} s; "
        f"largest overflow {widest[0]} px ({widest[1]}); lowest title at {lowest[0]:.0f} px "
        f"({lowest[1]}); {banner_pages} pages with the delegation banner"
    )
    assert measured >= 200, f"only {measured} pages measured"
    assert banner_pages >= 2 * 5, f"only {banner_pages} delegated pages measured"
    assert not too_wide, f"{len(too_wide)} page(s) wider than the viewport:\n" + "\n".join(too_wide)
    assert not too_low, (
        f"{len(too_low)} page(s) whose title starts below {TITLE_TOP_MAX} px:\n"
        + "\n".join(too_low)
    )


def test_on_a_phone_the_navigation_opens_from_the_menu_button(page):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "admin@contoso-distribution.example", PASSWORD)
    page.goto("/indirect-resellers/")
    heading = page.get_by_role("heading", level=1)
    assert heading.bounding_box()["y"] < 300, "the heading starts below the navigation"
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation).to_be_hidden()
    screenshot(page, "reflow-390-indirect-resellers")

    page.get_by_role("button", name="Menu").click()
    expect(navigation.get_by_role("link", name="Customers")).to_be_visible()
    menu = page.get_by_role("dialog", name="Menu")
    expect(menu).to_be_visible()
    expect(menu).to_be_focused()  # once open, focus is in the menu (and Escape closes it)
    screenshot(page, "reflow-390-menu-open")
    page.keyboard.press("Escape")
    expect(navigation).to_be_hidden()
    expect(page.get_by_role("button", name="Menu")).to_be_focused()

    navigation.page.get_by_role("button", name="Menu").click()
    navigation.get_by_role("link", name="Customers").click()
    expect(page).to_have_url(re.compile(r"/customers/$"))

    # On a desktop the navigation stays beside the content, with no Menu button.
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(navigation).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()


def test_the_queue_age_chart_reads_at_12_px_or_more_on_a_phone(page):
    page.set_viewport_size({"width": 320, "height": 700})
    sign_in(page, "reviewer@csp-operator.example", PASSWORD)
    page.goto("/review/")
    chart = page.get_by_role("list", name="Cases waiting on reviewers by age")
    expect(chart.get_by_role("listitem")).to_have_count(5)
    sizes = chart.locator(".queue-bar-label, .queue-bar-count").evaluate_all(
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 12, f"chart text sizes in px: {sizes}"
    chart.scroll_into_view_if_needed()
    screenshot(page, "reflow-320-queue-chart")


def test_on_a_phone_one_header_button_discloses_language_settings_and_the_user_menu(new_page):
    page = new_page(signed_in=CONTOSO)
    for width in (320, 390):
        page.set_viewport_size({"width": width, "height": 700})
        page.goto("/customers/")
        toggle = page.get_by_role("button", name="Contoso Distribution: your account")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        header = page.get_by_role("banner")
        height = header.bounding_box()["height"]
        assert height <= 60, f"the header is {height} px high at {width} px"
        expect(page.get_by_label("Language")).to_be_hidden()
        screenshot(page, f"header-{width}")

        # By keyboard: the button opens the panel; its controls are reachable; Escape closes it.
        toggle.focus()
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(page.locator("#topbar-tools")).to_have_class(re.compile(r"\bshow\b"))  # opened
        expect(page.get_by_label("Language")).to_be_visible()
        expect(page.get_by_role("button", name="Change language")).to_be_in_viewport()
        expect(page.get_by_role("link", name="Account settings")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        screenshot(page, f"header-{width}-open")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('#topbar-tools') !== null")
        page.keyboard.press("Escape")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(toggle).to_be_focused()
        expect(page.get_by_label("Language")).to_be_hidden()

    # On a desktop everything is in the bar, as before, and the disclosure button is gone.
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.get_by_label("Language")).to_be_visible()
    expect(page.get_by_role("button", name="Chiara Conti")).to_be_visible()
    expect(page.get_by_role("button", name="Contoso Distribution: your account")).to_be_hidden()
    screenshot(page, "header-1280")


def test_the_delegation_banner_is_one_line_on_a_phone_with_its_details_a_button_away(new_page):
    page = new_page(signed_in=CONTOSO)
    page.goto("/customers/")
    page.get_by_role("link", name="Adatum Retail S.p.A.").click()
    page.get_by_role("button", name="Administer on behalf of Adatum Retail S.p.A.").click()
    banner = page.get_by_test_id("delegation-banner")
    for width in (390, 320):
        page.set_viewport_size({"width": width, "height": 700})
        page.goto("/subscriptions/")
        expect(banner.get_by_text("Delegated: Adatum Retail S.p.A.")).to_be_visible()
        details = banner.get_by_role("button", name="Details")
        expect(details).to_have_attribute("aria-expanded", "false")
        title = page.get_by_role("heading", level=1).bounding_box()
        assert title["y"] <= TITLE_TOP_MAX, f"the title starts at {title['y']} px at {width} px"
        screenshot(page, f"delegation-banner-{width}")
        details.click()
        expect(page.locator("#delegation-details")).to_have_class(re.compile(r"\bshow\b"))
        expect(banner.get_by_text("on behalf of")).to_be_visible()
        screenshot(page, f"delegation-banner-{width}-details")
        expect(banner.get_by_text("minutes without activity")).to_be_visible()
        page.keyboard.press("Escape")
        expect(details).to_have_attribute("aria-expanded", "false")
    expect(banner.get_by_role("button", name="Leave")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(banner.get_by_role("button", name="Details")).to_be_hidden()
    expect(banner.get_by_text("on behalf of")).to_be_visible()
    screenshot(page, "delegation-banner-1280")
    banner.get_by_role("button", name="Leave customer's account").click()
    expect(page.get_by_test_id("delegation-banner")).to_have_count(0)


def test_billing_shows_the_monthly_cost_column_at_320_px(new_page):
    page = new_page(signed_in=CONTOSO)
    for width in (320, 390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/billing/")
        tables = page.locator("main table")
        expect(tables).to_have_count(3)  # totals, per customer, subscriptions
        costs = page.locator("main table tr > :last-child")
        assert costs.count() >= 8
        for index in range(costs.count()):
            box = costs.nth(index).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (
                f"a monthly cost cell is off screen at {width} px: {box}, "
                f"{costs.nth(index).inner_text()!r}"
            )
        headers = page.get_by_role("columnheader", name="Monthly cost")
        expect(headers).to_have_count(3)
        screenshot(page, f"billing-{width}")
