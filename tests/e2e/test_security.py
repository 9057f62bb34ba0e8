"""The second-factor set-up a privileged user is sent to, and the 429 page, in a browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, member
from tests.portal.test_mfa import current_code
from tests.relationships.factories import provider_org

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_global_admin_without_totp_sets_it_up_sees_recovery_codes_then_reaches_the_portal(
    page, settings
):
    settings.PORTAL_REQUIRE_MFA = True
    admin = member()
    sign_in(page, admin.user.email, PASSWORD)

    # allauth asks for the password again before a change to the second factor
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    expect(page.get_by_text("Your role requires two-step sign-in")).to_be_visible()
    page.get_by_label(re.compile(r"^\s*Password")).fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    expect(page.get_by_role("region", name="Two-step sign-in")).to_be_visible()
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    screenshot(page, "mfa-setup")
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label(re.compile(r"^\s*Authenticator code")).fill(current_code(secret))
    page.get_by_role("button", name="Activate").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    expect(page.get_by_label("Unused codes")).to_be_visible()
    screenshot(page, "mfa-recovery-codes")
    page.get_by_role("link", name="Continue to the portal").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_invitation_over_the_limit_shows_the_429_page_with_a_way_back(page, settings):
    settings.PORTAL_RATE_LIMITS = {**settings.PORTAL_RATE_LIMITS, "reseller_invitation": "1/h"}
    admin = member(provider_org(legal_name="Contoso Distribution"))
    sign_in(page, admin.user.email, PASSWORD)
    page.goto("/indirect-resellers/")
    for email in ("one@first-reseller.example", "two@second-reseller.example"):
        page.get_by_label("Reseller admin's email").fill(email)
        page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("heading", name="Please wait a moment")).to_be_visible()
    expect(page.get_by_text("as many partnership invitations as it can")).to_be_visible()
    expect(page.get_by_text(re.compile(r"You can try again in about \d+ minutes?"))).to_be_visible()
    expect(page.get_by_test_id("organization-name")).to_have_text("Contoso Distribution")
    screenshot(page, "429-invitations")
    page.get_by_role("link", name="Go back").click()
    expect(page).to_have_url(re.compile(r"/indirect-resellers/$"))
