"""Phones: no demo page scrolls sideways at 320 or 390 CSS px (WCAG 1.4.10 Reflow), in English and
in Italian, signed in as each demo user and signed out; the side navigation collapses behind a
Menu button so the page heading starts near the top.

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
from portal.models import User
from tests.browser import screenshot, sign_in
from tests.demo_pages import LANGUAGES

WIDTHS = (320, 390)
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


def _context(browser, url: str, user: str | None, language: str):
    context = browser.new_context(
        base_url=url,
        locale="en-GB",
        reduced_motion="reduce",
        viewport={"width": WIDTHS[-1], "height": 800},
    )
    context.set_default_timeout(15000)
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": url}]
    if user:
        client = Client()
        client.force_login(User.objects.get(email=user))
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url})
    context.add_cookies(cookies)
    return context


def test_no_demo_page_scrolls_sideways_at_320_and_390_px(demo_site, demo_server, chromium):
    # The pages are the same in both languages.
    by_user = demo_site.browser_pages()
    too_wide: list[str] = []
    measured = 0
    widest = (0, "")
    started = time.monotonic()
    for language in LANGUAGES:
        User.objects.update(language=language)
        for user, paths in by_user.items():
            context = _context(chromium, demo_server, user, language)
            tab = context.new_page()
            for path in paths:
                tab.set_viewport_size({"width": WIDTHS[-1], "height": 800})
                response = tab.goto(path)
                assert response is not None and response.ok, f"{path} ({user}) answered"
                assert tab.locator("html").get_attribute("lang") == language, path
                for width in WIDTHS:
                    tab.set_viewport_size({"width": width, "height": 800})
                    scroll_width = tab.evaluate("document.documentElement.scrollWidth")
                    measured += 1
                    widest = max(widest, (scroll_width - width, f"{path} ({user}, {language})"))
                    if scroll_width > width:
                        _scroll_width, element = tab.evaluate(WIDEST)
                        too_wide.append(
                            f"[{language}, {width} px] {path} ({user or 'signed out'}): "
                            f"{scroll_width} px wide, widest: {element}"
                        )
            context.close()
    print(
        f"\nreflow: {measured} page widths measured in {time.monotonic() - started:.0f} s; "
        f"largest overflow {widest[0]} px ({widest[1]})"
    )
    assert measured >= 200, f"only {measured} pages measured"
    assert not too_wide, f"{len(too_wide)} page(s) wider than the viewport:\n" + "\n".join(too_wide)


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
