"""A company enrols as an indirect reseller from the welcome page, leaves half-way, comes back
in a fresh browser and finishes with Register now."""

import re

import pytest
from playwright.sync_api import expect

from portal.models import Organization, OutboxMessage
from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

EMAIL = "giulia.verdi@contoso-reseller.example"
PASSWORD = "Sturdy-Enrol-9174"


def test_reseller_enrols_leaves_half_way_and_finishes_in_a_new_browser(new_page):
    page = new_page()
    page.goto("/enroll/reseller/welcome/")
    screenshot(page, "enrollment-welcome")
    page.get_by_role("link", name="Get started").click()
    expect(page.get_by_role("heading", name="What you need")).to_be_visible()
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_text("Step 1 of 5")).to_be_visible()
    screenshot(page, "enrollment-account")

    # Work account: create one (email verification is mandatory: read the link from the outbox).
    page.get_by_role("link", name="Create one").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label(re.compile(r"^\s*Password\s*\*?\s*$")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^\s*Password \(again\)")).fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    message = OutboxMessage.objects.get(to_email=EMAIL)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body_text).group(0)
    page.goto(re.sub(r"^https?://[^/]+", "", link))
    page.get_by_role("button", name="Confirm").click()
    # Confirming signs the person in and brings them back to the wizard's account step.
    expect(page.get_by_text(f"You're signed in as {EMAIL}")).to_be_visible()
    page.get_by_role("button", name="Continue with this account").click()

    # Legal business profile: an error first, shown beside the field and in the summary.
    expect(page.get_by_text("Step 2 of 5")).to_be_visible()
    page.get_by_label("Legal name").fill("Contoso Reseller S.r.l.")
    page.get_by_label("Address line 1").fill("Corso Buenos Aires 10")
    page.get_by_label("City").fill("Milano")
    page.get_by_label("Postal code").fill("2012")
    page.get_by_label("Country").select_option(label="Italy")
    page.get_by_label("Company phone").fill("02 1234 5678")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("Postal code")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("City")).to_have_value("Milano")
    screenshot(page, "enrollment-legal-error")
    page.get_by_label("Postal code").fill("20124")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Step 3 of 5")).to_be_visible()

    # Leave: sign out.
    page.get_by_role("button", name=EMAIL).click()
    page.get_by_role("button", name="Sign out").click()

    # A fresh browser: sign in, continue where we left off.
    fresh = new_page()
    sign_in(fresh, EMAIL, PASSWORD)
    fresh.goto("/enroll/reseller/welcome/")
    fresh.get_by_role("link", name="Continue where you left off").click()
    expect(fresh.get_by_text("Step 3 of 5")).to_be_visible()
    expect(fresh.get_by_role("heading", name="Primary contact")).to_be_visible()
    screenshot(fresh, "enrollment-contact")

    # Back keeps the legal profile, then forward again.
    fresh.get_by_role("button", name="Back").click()
    expect(fresh.get_by_label("Legal name")).to_have_value("Contoso Reseller S.r.l.")
    fresh.get_by_role("button", name="Next").click()

    fresh.get_by_label("First name").fill("Giulia")
    fresh.get_by_label("Last name").fill("Verdi")
    fresh.get_by_label("Email").fill(EMAIL)
    fresh.get_by_label("Phone").fill("+39 02 1234 5600")
    fresh.get_by_role("button", name="Next").click()

    expect(fresh.get_by_text("Step 4 of 5")).to_be_visible()
    fresh.get_by_label("Support email").fill("help@contoso-reseller.example")
    fresh.get_by_label("Support phone").fill("02 1234 5699")
    fresh.get_by_role("button", name="Next").click()

    expect(fresh.get_by_text("Step 5 of 5")).to_be_visible()
    expect(fresh.get_by_text("Contoso Reseller S.r.l.")).to_be_visible()
    screenshot(fresh, "enrollment-review")
    fresh.get_by_role("button", name="Register now").click()

    expect(fresh.get_by_role("heading", name="Thank you for registering")).to_be_visible()
    expect(fresh.get_by_text("We emailed your primary contact")).to_be_visible()
    expect(fresh.get_by_role("main").get_by_role("link", name="Verification")).to_be_visible()
    screenshot(fresh, "enrollment-confirmation")
    org = Organization.objects.get(primary_domain="contoso-reseller.example")
    assert org.status == Organization.Status.SUBMITTED


def test_global_admin_finishes_set_up_and_accepts_the_partner_agreement(page):
    from tests.factories import PASSWORD as MEMBER_PASSWORD
    from tests.factories import member

    admin = member()
    name = admin.user.get_full_name()
    sign_in(page, admin.user.email, MEMBER_PASSWORD)
    expect(page.get_by_text("Add yourself to Admin agent to finish setting up")).to_be_visible()
    page.get_by_role("link", name="Go to User management").click()
    screenshot(page, "settings-users")
    page.get_by_role("link", name=name).click()
    page.get_by_label("Admin agent").check()
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_text(f"Roles of {name} updated.")).to_be_visible()

    # The last Global admin can't be demoted.
    page.get_by_label("Global admin").uncheck()
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_text("is the last Global admin").first).to_be_visible()
    screenshot(page, "settings-user-last-admin")

    # Identifiers: a PartnerID from another country can't be associated.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Identifiers").click()
    page.get_by_role("textbox", name="PartnerID").fill("7000001")
    page.get_by_label("Type").select_option(label="Location PartnerID")
    page.get_by_role("textbox", name="Location").fill("London")
    page.get_by_label("Country").select_option(label="United Kingdom")
    page.get_by_role("button", name="Add PartnerID").click()
    page.get_by_role("button", name="Associate 7000001").click()
    expect(
        page.get_by_text("PartnerID 7000001 is in United Kingdom; your CSP account is in Italy.")
    ).to_be_visible()
    screenshot(page, "settings-identifiers")

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("Add yourself to Admin agent to finish setting up")).to_have_count(0)
    page.get_by_label("Title").fill("Managing Director")
    page.get_by_label("I have read the Partner Agreement").check()
    screenshot(page, "dashboard-agreement")
    page.get_by_role("button", name="Accept the Partner Agreement").click()
    expect(
        page.get_by_text("Your organization accepted the Partner Agreement (version 2026-01) on")
    ).to_be_visible()
    screenshot(page, "dashboard-agreement-accepted")

    page.get_by_role("link", name="Partner profile").click()
    expect(page.get_by_test_id("program-status")).to_have_text("Active")
    screenshot(page, "settings-partner-profile")


def test_global_admin_corrects_legal_info_after_an_error(page):
    from tests.factories import PASSWORD as MEMBER_PASSWORD
    from tests.factories import member, profile_for

    admin = member()
    org = admin.organization
    profile_for(org)
    sign_in(page, admin.user.email, MEMBER_PASSWORD)
    page.goto("/settings/legal/")
    screenshot(page, "settings-legal")
    page.get_by_role("link", name="Edit legal info").click()
    page.get_by_label("City").fill("Milano")
    page.get_by_label("Postal code").fill("2O123")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("Postal code")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("City")).to_have_value("Milano")
    screenshot(page, "settings-legal-error")
    page.get_by_label("Postal code").fill("20123")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Legal info updated.")).to_be_visible()
    expect(page.get_by_text("20123 Milano")).to_be_visible()


def test_demo_litware_resumes_its_draft_and_northwind_shows_the_agreement_banner(new_page):
    from devtools.demo import enrollment as demo
    from devtools.demo import portal as portal_demo

    portal_demo.seed()
    demo.seed()

    litware = new_page()
    sign_in(litware, "admin@litware-solutions.example", portal_demo.PASSWORD)
    litware.get_by_role("link", name="Continue where you left off").click()
    expect(litware.get_by_text("Step 3 of 5")).to_be_visible()
    expect(litware.get_by_role("heading", name="Primary contact")).to_be_visible()
    litware.get_by_role("button", name="Back").click()
    expect(litware.get_by_label("Legal name")).to_have_value("Litware Solutions Inc.")
    expect(litware.get_by_label("State or province")).to_have_value("WA")

    northwind = new_page()
    sign_in(northwind, "admin@northwind-it.example", portal_demo.PASSWORD)
    # Northwind is an Italian company: its admin reads the dashboard in Italian.
    expect(
        northwind.get_by_text("La tua organizzazione ha accettato il Contratto per i partner")
    ).to_be_visible()
    expect(northwind.get_by_text("Aggiungiti al ruolo Agente amministratore")).to_have_count(0)
    screenshot(northwind, "demo-northwind-dashboard")


def test_the_wizard_goes_forward_by_keyboard_enter_in_a_text_field_is_next(page):
    """Enter in a text field submits the form with its first submit button: Next, not Back
    (issue 23), while Back stays on the left."""
    from tests.enrollment.factories import drafting_user
    from tests.factories import PASSWORD as MEMBER_PASSWORD

    draft = drafting_user(through="legal")  # the legal profile saved, the contact step next
    sign_in(page, draft.user.email, MEMBER_PASSWORD)
    page.goto("/enroll/reseller/legal/")
    expect(page.get_by_text("Step 2 of 5")).to_be_visible()
    back = page.get_by_role("button", name="Back").bounding_box()
    forward = page.get_by_role("button", name="Next").bounding_box()
    assert back and forward and back["x"] < forward["x"]  # reads Back … Next
    page.get_by_label("Legal name").press("End")
    page.get_by_label("Legal name").press("Enter")
    expect(page.get_by_text("Step 3 of 5")).to_be_visible()
    expect(page.get_by_role("heading", name="Primary contact")).to_be_visible()

    # Typed, then Enter in the last text field.
    page.get_by_label("First name").focus()
    page.keyboard.type("Anna")
    page.keyboard.press("Tab")
    page.keyboard.type("Bruni")
    page.get_by_label("Email").fill(draft.user.email)
    page.get_by_label("Phone").fill("+39 06 1234 5600")
    page.get_by_label("Phone").press("Enter")
    expect(page.get_by_text("Step 4 of 5")).to_be_visible()

    # Tab from the last field reaches Next first; Enter on it goes forward.
    domain = draft.user.email.split("@")[1]
    page.get_by_label("Support email").fill(f"support@{domain}")
    page.get_by_label("Support phone").fill("+39 06 1234 5699")
    page.get_by_label("Support website").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Next")).to_be_focused()
    screenshot(page, "enrollment-support-keyboard")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Step 5 of 5")).to_be_visible()
