import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD
from tests.verification.factories import reviewer, submitted_reseller
from tests.verification.helpers import last_link_key
from verification.services import case_contact_confirm, case_open, case_request_info

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_contact_confirms_reviewer_approves_from_the_queue_and_partner_sees_verified(new_page):
    partner = submitted_reseller()
    case = case_open(organization=partner.organization, actor=partner.user)
    admin = reviewer()

    # The partner's page says who it waits on.
    partner_page = new_page()
    sign_in(partner_page, partner.user.email, PASSWORD)
    partner_page.goto("/verification/")
    expect(partner_page.get_by_test_id("verification-status")).to_contain_text(
        "Waiting for your primary contact"
    )
    expect(partner_page.get_by_test_id("waiting-on")).to_contain_text(
        "Your primary contact, Paola Verdi"
    )
    screenshot(partner_page, "verification-partner-waiting")

    # The primary contact follows the emailed link and confirms both facts.
    contact = new_page()
    contact.goto(f"/verify-contact/{last_link_key(case)}/")
    screenshot(contact, "verification-contact-confirm")
    contact.get_by_label("I signed up for this account").check()
    contact.get_by_label("This email address belongs to the company.").check()
    contact.get_by_role("button", name="Confirm", exact=True).click()
    expect(contact.get_by_role("heading", name="Thank you")).to_be_visible()

    # The reviewer finds it in the queue and approves it.
    page = new_page()
    sign_in(page, admin.user.email, PASSWORD)
    page.goto("/review/")
    expect(page.get_by_role("heading", name="Verification queue")).to_be_visible()
    screenshot(page, "verification-review-queue")
    page.get_by_role("link", name=partner.organization.legal_name).click()
    expect(page.get_by_test_id("case-status")).to_have_text("In review")
    screenshot(page, "verification-review-case")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved. The partner is verified")).to_be_visible()
    expect(page.get_by_test_id("case-status")).to_have_text("Verified")

    # The partner sees the green status.
    partner_page.goto("/verification/")
    status = partner_page.get_by_test_id("verification-status")
    expect(status).to_contain_text("Verified")
    expect(status).to_have_class(re.compile(r"verification-status-verified"))
    assert status.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(209, 231, 221)"
    screenshot(partner_page, "verification-partner-verified")


def test_partner_uploads_the_requested_document_and_the_case_returns_to_review(new_page, tmp_path):
    partner = submitted_reseller()
    case = case_open(organization=partner.organization, actor=partner.user)
    admin = reviewer()
    case_contact_confirm(key=last_link_key(case))
    case.refresh_from_db()
    case_request_info(
        case=case,
        actor=admin.user,
        document_types=["proof_of_address"],
        message="Please send a utility bill from the last three months.",
    )

    page = new_page()
    sign_in(page, partner.user.email, PASSWORD)
    page.goto("/verification/")
    expect(page.get_by_test_id("verification-status")).to_contain_text("More information needed")
    expect(page.get_by_text("utility bill from the last three months")).to_be_visible()
    screenshot(page, "verification-partner-info-requested")
    bill = tmp_path / "bill.pdf"
    bill.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.get_by_label("Document type").select_option("proof_of_address")
    page.get_by_label("Comment").fill("March bill")
    page.get_by_label("File").set_input_files(str(bill))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Document uploaded")).to_be_visible()
    expect(page.get_by_test_id("verification-status")).to_contain_text("In review")
    expect(page.get_by_role("link", name="bill.pdf")).to_be_visible()
    screenshot(page, "verification-partner-uploaded")

    reviewer_page = new_page()
    sign_in(reviewer_page, admin.user.email, PASSWORD)
    reviewer_page.goto(f"/review/{case.pk}/")
    expect(reviewer_page.get_by_role("link", name="bill.pdf")).to_be_visible()
    with reviewer_page.expect_download() as download:
        reviewer_page.get_by_role("link", name="bill.pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")


def test_a_bad_link_explains_itself_and_offers_a_new_one(page):
    partner = submitted_reseller()
    case_open(organization=partner.organization, actor=partner.user)
    page.goto("/verify-contact/this-is-not-a-key/")
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()
    screenshot(page, "verification-contact-bad-link")
    page.get_by_label("Your email address").fill(
        partner.organization.legal_profile.primary_contact_email
    )
    page.get_by_role("button", name="Email me a new link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def test_a_rejection_note_typed_in_the_reject_form_reaches_the_partners_email_and_page(new_page):
    """Issue 13: two textareas shared id_note, the label focused the approve note, and the
    rejection went out without the note."""
    from portal.models import OutboxMessage

    partner = submitted_reseller()
    case = case_open(organization=partner.organization, actor=partner.user)
    admin = reviewer()
    case_contact_confirm(key=last_link_key(case))

    page = new_page()
    sign_in(page, admin.user.email, PASSWORD)
    page.goto(f"/review/{case.pk}/")
    page.get_by_label("Reason").select_option("documents_insufficient")
    # As a person does it: click the label, then type where the focus went.
    page.locator("label", has_text="Note to the partner").click()
    page.keyboard.type("The certificate you sent has expired; please upload the 2026 one.")
    screenshot(page, "verification-review-reject-note")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("Rejected. We emailed the primary contact the reason.")).to_be_visible()

    email = OutboxMessage.objects.get(
        organization=partner.organization, template="verification_rejected"
    )
    assert "the 2026 one" in email.body_text and "the 2026 one" in email.body_html

    partner_page = new_page()
    sign_in(partner_page, partner.user.email, PASSWORD)
    partner_page.goto("/verification/")
    expect(partner_page.get_by_text("please upload the 2026 one")).to_be_visible()
    screenshot(partner_page, "verification-partner-rejected-with-note")


def test_the_partners_status_and_the_review_queue_update_without_a_reload(new_page, settings):
    settings.PORTAL_LIVE_POLL_SECONDS = 1
    partner = submitted_reseller()
    case = case_open(organization=partner.organization, actor=partner.user)
    admin = reviewer()
    errors: list[str] = []

    page = new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, partner.user.email, PASSWORD)
    page.goto("/verification/")
    expect(page.get_by_test_id("waiting-on")).to_contain_text("Your primary contact")
    queue = new_page()
    queue.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(queue, admin.user.email, PASSWORD)
    queue.goto("/review/")
    expect(queue.get_by_text("No cases match these filters.")).to_be_hidden()

    case_contact_confirm(key=last_link_key(case))  # the checks run and it goes to review

    expect(page.get_by_test_id("verification-status")).to_contain_text("In review", timeout=20000)
    expect(page.get_by_test_id("waiting-on")).to_contain_text("verification team")
    expect(page.locator("#live-announce")).to_contain_text("Verification status: In review.")
    expect(page.get_by_text("Primary contact confirmed")).to_be_visible()
    screenshot(page, "live-partner-status")
    expect(queue.get_by_role("cell", name="A reviewer (unassigned)")).to_be_visible(timeout=20000)
    screenshot(queue, "live-review-queue")
    assert not errors, errors
