import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_partner_signs_in_navigates_the_shell_switches_language_and_signs_out(page):
    admin = member()
    sign_in(page, admin.user.email, PASSWORD)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_test_id("organization-name")).to_have_text(admin.organization.legal_name)
    expect(page.get_by_text("Add yourself to Admin agent to finish setting up")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    screenshot(page, "shell-dashboard")

    # Keyboard: the skip link is the first thing Tab reaches and moves focus to the content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()

    page.get_by_label("Language").select_option("it")
    page.get_by_role("button", name="Change language").click()
    expect(page.get_by_role("heading", name="Panoramica")).to_be_visible()
    screenshot(page, "shell-dashboard-it")

    page.get_by_role("button", name=admin.user.get_full_name()).click()
    page.get_by_role("button", name="Esci").click()
    expect(page.get_by_role("button", name="Accedi")).to_be_visible()
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_sign_in_page_shows_errors_beside_fields_and_in_a_summary(page):
    page.goto("/accounts/login/")
    screenshot(page, "sign-in")
    page.get_by_role("button", name="Sign in", exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()  # keyboard users start from the list of problems
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "sign-in-errors")
