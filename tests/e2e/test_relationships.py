"""A provider invites a reseller, the reseller authorizes it, invites a customer who accepts both
relationships at once, the provider orders for that customer, and loses sight of it when the
reseller ends the relationship."""

import re

import pytest
from playwright.sync_api import expect

from commerce.models import Offer, Subscription
from portal.models import OutboxMessage
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, member
from tests.relationships.factories import provider_org, reseller_org

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CUSTOMER_EMAIL = "owner@trattoria-e2e.example"
CUSTOMER_PASSWORD = "Sturdy-Customer-9174"


def _link_path(template: str, to: str) -> str:
    message = OutboxMessage.objects.filter(template=template, to_email=to).latest("created_at")
    url = re.search(r"https?://\S+/invitations/[\w-]+/", message.body_text).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def test_provider_and_reseller_connect_share_a_customer_order_and_end(new_page):
    provider = provider_org(legal_name="Contoso Distribution")
    provider_admin = member(provider)
    reseller = reseller_org(
        legal_name="Northwind IT S.r.l.", primary_domain="northwind-e2e.example"
    )
    reseller_admin = member(reseller)

    # The provider requests a partnership.
    p = new_page()
    sign_in(p, provider_admin.user.email, PASSWORD)
    p.get_by_role("navigation", name="Main").get_by_role("link", name="Indirect resellers").click()
    p.get_by_label("Reseller admin's email").fill(reseller_admin.user.email)
    p.get_by_role("button", name="Send invitation").click()
    expect(p.get_by_text(f"Invitation sent to {reseller_admin.user.email}")).to_be_visible()
    pending = p.get_by_role("region", name="Pending invitations")
    expect(pending.get_by_role("row", name=re.compile(reseller_admin.user.email))).to_be_visible()
    screenshot(p, "relationships-indirect-resellers-pending")

    # The reseller opens the emailed link, signs in, authorizes.
    r = new_page()
    r.goto(_link_path("relationships_reseller_invitation", reseller_admin.user.email))
    # Signed out, the page already says whose invitation it is and what accepting means.
    expect(
        r.get_by_role(
            "heading",
            name="Contoso Distribution invites you to work with it as its indirect reseller",
        )
    ).to_be_visible()
    expect(r.get_by_text(reseller_admin.user.email)).to_be_visible()
    screenshot(r, "relationships-invitation-signed-out")
    r.get_by_role("link", name="Sign in to see the invitation").click()
    expect(r).to_have_url(re.compile(r"/accounts/login/\?next=%2Finvitations%2F"))
    r.get_by_label(re.compile(r"^\s*Email")).fill(reseller_admin.user.email)
    r.get_by_label(re.compile(r"^\s*Password")).fill(PASSWORD)
    r.get_by_role("button", name="Sign in").click()
    expect(
        r.get_by_role("heading", name="Authorize Contoso Distribution as your indirect provider")
    ).to_be_visible()
    expect(r.get_by_text("gets admin access to your company's account")).to_be_visible()
    screenshot(r, "relationships-authorize")
    r.get_by_label("I authorize this indirect provider for my company.").check()
    r.get_by_role("button", name="Authorize indirect provider").click()
    expect(r.get_by_role("heading", name="Indirect providers")).to_be_visible()
    expect(r.get_by_role("row", name=re.compile("Contoso Distribution"))).to_be_visible()
    screenshot(r, "relationships-indirect-providers")

    # Both lists show each other.
    p.reload()
    expect(p.get_by_role("row", name=re.compile("Northwind IT S.r.l."))).to_be_visible()
    screenshot(p, "relationships-indirect-resellers")

    # The reseller invites a customer for Contoso.
    r.get_by_role("link", name="Invite new customers").click()
    r.get_by_label("Indirect provider").select_option(label="Contoso Distribution")
    r.get_by_label("Customer's email").fill(CUSTOMER_EMAIL)
    r.get_by_label("Company name").fill("Trattoria E2E S.r.l.")
    r.get_by_role("button", name="Send invitation").click()
    expect(r.get_by_text(f"Invitation sent to {CUSTOMER_EMAIL}")).to_be_visible()
    screenshot(r, "relationships-invite-customer")

    # The customer opens the link, creates a work account and its organization, accepts.
    customer_link = _link_path("relationships_customer_invitation", CUSTOMER_EMAIL)
    c = new_page()
    c.goto(customer_link)
    c.get_by_role("link", name="Create a work account").click()
    c.get_by_label("Email").fill(CUSTOMER_EMAIL)
    c.get_by_label(re.compile(r"^\s*Password\s*\*?\s*$")).fill(CUSTOMER_PASSWORD)
    c.get_by_label(re.compile(r"^\s*Password \(again\)")).fill(CUSTOMER_PASSWORD)
    c.get_by_role("button", name="Sign Up").click()
    confirm = (
        OutboxMessage.objects.filter(to_email=CUSTOMER_EMAIL)
        .exclude(template="relationships_customer_invitation")
        .latest("created_at")
    )
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", confirm.body_text).group(0)
    c.goto(re.sub(r"^https?://[^/]+", "", link))
    c.get_by_role("button", name="Confirm").click()
    c.goto(customer_link)
    if c.get_by_role("link", name="Sign in to see the invitation").count():
        c.get_by_role("link", name="Sign in to see the invitation").click()
    if "/accounts/login/" in c.url:
        c.get_by_label(re.compile(r"^\s*Email")).fill(CUSTOMER_EMAIL)
        c.get_by_label(re.compile(r"^\s*Password")).fill(CUSTOMER_PASSWORD)
        c.get_by_role("button", name="Sign in").click()
    expect(c.get_by_role("heading", name="Work with Northwind IT S.r.l.")).to_be_visible()
    expect(c.get_by_label("Company legal name")).to_have_value("Trattoria E2E S.r.l.")
    c.get_by_label("Country").select_option(label="Italy")
    screenshot(c, "relationships-customer-create-organization")
    c.get_by_role("button", name="Create account").click()
    c.get_by_label("I accept the reseller relationship with both companies.").check()
    screenshot(c, "relationships-customer-accept")
    c.get_by_role("button", name="Accept").click()
    expect(
        c.get_by_text("You now work with Northwind IT S.r.l. and Contoso Distribution.")
    ).to_be_visible()

    # The provider sees the customer under that reseller and places an order.
    p.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    row = p.get_by_role("row", name=re.compile("Trattoria E2E S.r.l."))
    expect(row).to_contain_text("Northwind IT S.r.l.")
    screenshot(p, "relationships-customers-provider")
    row.get_by_role("link", name="Trattoria E2E S.r.l.").click()
    screenshot(p, "relationships-customer-detail")
    p.get_by_role("link", name="Place an order").click()
    offer = Offer.objects.get(code="team-workspace-standard")
    p.get_by_label("Offer", exact=True).select_option(value=str(offer.pk))
    p.get_by_label("Quantity").fill("5")
    p.get_by_role("button", name="Place order").click()
    expect(p.get_by_text("Order placed: 5 x Team Workspace Standard")).to_be_visible()
    p.go_back()

    # The reseller ends the relationship.
    r.get_by_role("navigation", name="Main").get_by_role("link", name="Indirect providers").click()
    r.get_by_role("link", name=re.compile("End relationship")).click()
    expect(
        r.get_by_role("heading", name="End the relationship with Contoso Distribution?")
    ).to_be_visible()
    screenshot(r, "relationships-end-confirm")
    r.get_by_role("button", name="Yes, end the relationship").click()
    expect(r.get_by_text("The relationship with Contoso Distribution has ended.")).to_be_visible()

    # The provider's open order form is refused; its customer list is empty.
    p.get_by_label("Quantity").fill("1")
    p.get_by_role("button", name="Place order").click()
    expect(p.get_by_role("heading", name="We can't find that page")).to_be_visible()
    p.goto("/customers/")
    expect(p.get_by_text("No customers to show.")).to_be_visible()
    expect(p.get_by_text("Trattoria E2E S.r.l.")).to_have_count(0)
    assert Subscription.objects.count() == 1
    expect(r.get_by_role("region", name="Recent changes")).to_contain_text("Relationship ended")
    p.goto("/indirect-resellers/")
    expect(p.get_by_role("region", name="Recent changes")).to_contain_text("Relationship ended")
    screenshot(p, "relationships-indirect-resellers-ended")


def test_reseller_finds_providers_and_sees_which_serve_its_region(page):
    from portal.models import Region

    provider_org(legal_name="Contoso Distribution")
    provider_org(
        legal_name="Fabrikam Supply",
        country="US",
        regions=[Region.objects.get(name="United States")],
    )
    admin = member(reseller_org(legal_name="Northwind IT S.r.l."))
    sign_in(page, admin.user.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Find a provider").click()
    contoso = page.get_by_role("listitem").filter(has_text="Contoso Distribution")
    expect(contoso.get_by_text("Available in your region")).to_be_visible()
    expect(contoso.get_by_role("link", name=re.compile(r"Email partners@"))).to_have_attribute(
        "href", re.compile(r"^mailto:")
    )
    fabrikam = page.get_by_role("listitem").filter(has_text="Fabrikam Supply")
    expect(fabrikam.get_by_text("Not available in your region (Europe)")).to_be_visible()
    screenshot(page, "relationships-find-a-provider")
    page.get_by_label("CSP region").select_option(label="United States")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("1 provider", exact=True)).to_be_visible()
    expect(page.get_by_text("Contoso Distribution")).to_have_count(0)
