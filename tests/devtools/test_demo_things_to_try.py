"""README's "Things to try", followed as a newcomer would: sign in as the user the line names,
open the page it names, find the button it names by its words and press it (issue 23: the
README sent people to a GDAP request nobody could answer and to "the same page" without saying
which). Each test is one bullet of the list, on the seeded demo, in English."""

from __future__ import annotations

import html
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from delegation.models import AdminAccess, GdapRelationship
from devtools.demo.delegation_gdap import GDAP_DEMO_NAME
from portal.models import Organization, OutboxMessage, User
from verification.models import VerificationCase

pytestmark = pytest.mark.django_db

FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S)
ACTION = re.compile(r'action="([^"]*)"')
BUTTON = re.compile(r"<button\b([^>]*)>(.*?)</button>", re.S)
NAMED = re.compile(r'name="(\w+)"[^>]*value="([^"]*)"')
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"')


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # /outbox/ answers only with DEBUG on, as under `make run`
    call_command("seed_demo", stdout=StringIO())
    User.objects.update(language="en")  # the README's words are the English pages'


def signed_in(email: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(email=email))
    return client


def page(client: Client, path: str) -> str:
    response = client.get(path, follow=True)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    return html.unescape(response.content.decode())


def link(body: str, text: str) -> str:
    """The href of the link whose words are `text`."""
    found = re.search(rf'<a\b[^>]*href="([^"]+)"[^>]*>\s*{re.escape(text)}', body)
    assert found, f"no link {text!r}"
    return found.group(1)


def press(client: Client, body: str, button: str, at: str = ""):
    """Submit the form of the button whose words hold `button` (its hidden fields included), to
    its action or, without one, to `at` (the page's own path)."""
    for form in FORM.findall(body):
        for attributes, label in BUTTON.findall(form):
            if button not in re.sub(r"<[^>]+>", "", label):
                continue
            action = ACTION.search(form)
            target = html.unescape(action.group(1)) if action else at
            assert target, f"the form of {button!r} posts to its page: say which"
            # As a browser does: the hidden fields, and the pressed button's own name and value.
            return client.post(target, dict(HIDDEN.findall(form) + NAMED.findall(attributes)))
    raise AssertionError(f"no button {button!r} on the page")


def customer_page(client: Client, name: str) -> str:
    """Open `name` from /customers/: its page's HTML."""
    return page(client, link(page(client, "/customers/"), name))


def test_reviewer_approves_tailspin_follows_wingtips_link_and_retries_an_email(demo):
    reviewer = signed_in("reviewer@csp-operator.example")
    case_path = link(page(reviewer, "/review/"), "Tailspin Cloud GmbH")
    response = press(reviewer, page(reviewer, case_path), "Approve")
    assert response.status_code == 302
    tailspin = VerificationCase.objects.get(organization__primary_domain="tailspin-cloud.example")
    assert tailspin.status == VerificationCase.Status.VERIFIED

    outbox = page(reviewer, "/outbox/")
    message = OutboxMessage.objects.get(
        to_email="willa.dubois@wingtip-systems.example", template="verification_contact_confirm"
    )
    body = page(reviewer, f"/outbox/{message.pk}/")
    assert f"/outbox/{message.pk}/" in outbox
    verify = re.search(r"https?://[^/\s]+(/verify-contact/[\w-]+/)", body)
    assert verify, "the email has no verification link"
    assert "Confirm" in page(Client(HTTP_ACCEPT_LANGUAGE="en"), verify.group(1))

    operations = page(reviewer, "/operations/")
    assert "marco.bianchi@northwind-it.example" in operations  # Northwind's failed email
    assert press(reviewer, operations, "Retry now").status_code == 302


def test_contoso_invites_orders_administers_adatum_and_raises_a_quantity(demo):
    contoso = signed_in("admin@contoso-distribution.example")
    resellers = page(contoso, "/indirect-resellers/")
    assert "Request a partnership" in resellers and "Send invitation" in resellers

    adatum = customer_page(contoso, "Adatum Retail S.p.A.")
    assert "Place an order" in page(contoso, link(adatum, "Place an order"))
    assert press(contoso, adatum, "Administer on behalf of Adatum Retail S.p.A.").status_code == 302
    dashboard = page(contoso, "/dashboard/")
    assert 'data-testid="delegation-banner"' in dashboard and "Adatum Retail S.p.A." in dashboard
    assert press(contoso, dashboard, "Leave customer's account").status_code == 302

    subscription = re.search(r'href="(/subscriptions/\d+/)"', page(contoso, "/subscriptions/"))
    assert subscription, "no subscription to open"
    assert "Change quantity" in page(contoso, subscription.group(1))


def test_northwind_invites_removes_contosos_access_to_adatum_and_reads_billing(demo):
    northwind = signed_in("admin@northwind-it.example")
    providers = page(northwind, "/indirect-providers/")
    assert "Invite" in page(northwind, link(providers, "Invite new customers"))

    adatum = customer_page(northwind, "Adatum Retail S.p.A.")
    remove = link(adatum, "Remove admin access of Contoso Distribution")
    press(northwind, page(northwind, remove), "Yes, remove admin access", at=remove)
    assert not AdminAccess.objects.filter(
        customer__primary_domain="adatum-retail.example",
        partner__primary_domain="contoso-distribution.example",
        status=AdminAccess.Status.ACTIVE,
    ).exists()

    assert "EUR" in page(northwind, "/billing/")
    assert "Link membership account" in page(northwind, "/settings/identifiers/")


def test_proseware_approves_contosos_gdap_request_and_contoso_then_holds_the_roles(demo):
    """Also issue 23: Contoso's page of Proseware says Contoso holds the granular roles once
    approved (and no longer that it holds no admin access)."""
    proseware = signed_in("admin@proseware-italia.example")
    partners = page(proseware, "/partner-relationships/")
    waiting = partners[partners.index("Waiting for your answer") :]
    assert GDAP_DEMO_NAME in waiting[: waiting.index("</table>")]
    assert press(proseware, partners, "Approve").status_code == 302
    request = GdapRelationship.objects.get(name=GDAP_DEMO_NAME)
    assert request.status == GdapRelationship.Status.ACTIVE

    contoso = signed_in("admin@contoso-distribution.example")
    body = customer_page(contoso, "Proseware Italia S.r.l.")
    assert f"GDAP “{GDAP_DEMO_NAME}”: User administrator, Helpdesk administrator" in body
    assert "holds no admin access" not in body
    press(contoso, body, "Administer on behalf of Proseware Italia S.r.l.")
    dashboard = page(contoso, "/dashboard/")
    assert 'data-testid="delegation-banner"' in dashboard and "Proseware Italia S.r.l." in dashboard


@pytest.mark.parametrize(
    ("email", "with_contoso"),
    [("admin@adatum-retail.example", True), ("admin@woodgrove-trattorie.example", False)],
)
def test_a_customer_sees_its_partners_admin_access_and_removes_one(demo, email, with_contoso):
    customer = signed_in(email)
    body = page(customer, "/partner-relationships/")
    assert "Northwind IT S.r.l." in body and "Contoso Distribution" in body
    organization = Organization.objects.get(primary_domain=email.split("@")[1])
    active = AdminAccess.objects.filter(customer=organization, status=AdminAccess.Status.ACTIVE)
    assert active.filter(partner__primary_domain="contoso-distribution.example").exists() == (
        with_contoso
    )
    before = active.count()
    remove = link(body, "Remove admin access")
    press(customer, page(customer, remove), "Yes, remove admin access", at=remove)
    assert active.count() == before - 1


def test_litware_resumes_its_enrolment_at_the_primary_contact(demo):
    litware = signed_in("admin@litware-solutions.example")
    response = litware.get("/enroll/reseller/start/", follow=True)
    assert response.status_code == 200
    assert "Primary contact" in page(litware, "/enroll/reseller/contact/")
