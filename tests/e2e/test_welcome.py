"""A user a Global admin added sets a first password on a welcome page and ends signed in."""

import re

import pytest
from playwright.sync_api import expect

from enrollment.services.members import member_add
from portal.models import OutboxMessage
from tests.e2e.conftest import screenshot
from tests.factories import member

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_added_user_sets_a_first_password_and_lands_signed_in(page):
    admin = member()
    email = f"ada.new@{admin.organization.primary_domain}"
    member_add(
        organization=admin.organization,
        actor=admin.user,
        email=email,
        first_name="Ada",
        last_name="Nuova",
        roles={"sales_agent"},
    )
    body = OutboxMessage.objects.get(to_email=email).body_text
    page.goto(re.search(r"https?://\S+(/accounts/welcome/\S+/)", body).group(1))
    expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
    expect(page.get_by_text(f"Welcome to {admin.organization.legal_name}")).to_be_visible()
    expect(page).to_have_title(re.compile("^Set your password"))
    page.get_by_label(re.compile(r"^\s*New Password\s*\*?\s*$")).fill("Fresh-Start-7788")
    page.get_by_label(re.compile(r"^\s*New Password \(again\)")).fill("Fresh-Start-7788")
    screenshot(page, "welcome-set-password")
    page.get_by_role("button", name="Set password and sign in").click()
    expect(page.get_by_text("Your password is set and you are signed in.")).to_be_visible()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    screenshot(page, "welcome-signed-in")
