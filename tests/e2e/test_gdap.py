"""GDAP in the browser: a provider's Admin agent asks a shared customer for admin roles from the
customer's page; the customer's Global admin opens the emailed link (signing in on the way),
approves, and sees the roles on Partner relationships; the agent then resets a user's
password in the customer's account as its Helpdesk administrator would."""

import re

import pytest
from playwright.sync_api import expect

from delegation.models import GdapRelationship
from portal.models import OutboxMessage
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, member
from tests.relationships.factories import CustomerRelationshipFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_provider_requests_roles_and_the_customer_approves_from_the_email(new_page):
    shared = CustomerRelationshipFactory()
    for org, name in ((shared.provider, "Contoso Distribution"), (shared.customer, "Proseware")):
        org.legal_name = name
        org.save(update_fields=["legal_name"])
    agent = member(shared.provider, admin_agent=True)
    customer_admin = member(shared.customer)

    p = new_page()
    sign_in(p, agent.user.email, PASSWORD)
    p.goto(f"/customers/{shared.customer.pk}/")
    p.get_by_role("link", name="Request admin roles (GDAP)").click()
    p.get_by_label("Name").fill("Helpdesk 2027")
    p.get_by_label(re.compile("^Helpdesk administrator")).check()
    p.get_by_label(re.compile("^License administrator")).check()
    p.get_by_label("Duration (days)").fill("180")
    screenshot(p, "gdap-request-form")
    p.get_by_role("button", name="Send request").click()
    expect(p.get_by_text("Request sent")).to_be_visible()
    expect(p.get_by_role("row", name=re.compile("Helpdesk 2027"))).to_contain_text(
        "Waiting for approval"
    )
    screenshot(p, "gdap-request-sent")

    body = OutboxMessage.objects.get(
        template="delegation_gdap_request", to_email=customer_admin.user.email
    ).body_text
    path = re.search(r"https?://[^/\s]+(/partner-relationships/gdap/[^/\s]+/)", body).group(1)
    c = new_page()
    c.goto(path)
    expect(c).to_have_url(
        re.compile(r"/accounts/login/\?next=(%2F|/)partner-relationships(%2F|/)gdap")
    )
    c.get_by_label("Email").fill(customer_admin.user.email)
    c.get_by_label("Password").fill(PASSWORD)
    c.get_by_role("button", name="Sign in", exact=True).click()
    expect(
        c.get_by_role("heading", name="Contoso Distribution asks for admin roles")
    ).to_be_visible()
    expect(c.get_by_text("Helpdesk administrator", exact=True)).to_be_visible()
    screenshot(c, "gdap-answer")
    c.get_by_role("button", name="Approve").click()
    expect(c.get_by_text("Approved: Contoso Distribution holds these roles")).to_be_visible()
    active = c.get_by_role("region", name="Active")
    expect(active.get_by_role("row", name=re.compile("Helpdesk 2027"))).to_be_visible()
    screenshot(c, "gdap-partner-relationships-section")
    assert GdapRelationship.objects.get().status == GdapRelationship.Status.ACTIVE
