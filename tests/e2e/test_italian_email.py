"""An Italian subscription email against its page, in the browser (issue 23): a reseller places an
order in English; the customer's Italian admin reads the purchase email and opens the
subscription in Chromium: the monthly cost, the term's end and the unit read the same in both."""

import re

import pytest
from playwright.sync_api import expect

from commerce.models import Offer, Subscription
from portal.models import OutboxMessage
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _squeeze(text: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def test_the_italian_purchase_email_reads_as_the_page_the_customer_opens(new_page):
    shared = CustomerRelationshipFactory(
        customer=customer_org(legal_name="Adatum Retail S.p.A."),
        relationship=ProviderRelationshipFactory(
            provider=provider_org(legal_name="Contoso Distribution")
        ),
    )
    reseller = member(shared.provider)
    customer_admin = member(shared.customer)
    customer_admin.user.language = "it"
    customer_admin.user.save(update_fields=["language"])
    offer = Offer.objects.get(code="team-workspace-premium")

    p = new_page()
    sign_in(p, reseller.user.email, PASSWORD)
    p.goto(f"/customers/{shared.customer_id}/order/")
    p.get_by_label("Offer", exact=True).select_option(value=str(offer.pk))
    p.get_by_label("Quantity").fill("120")
    p.get_by_role("button", name="Place order").click()
    expect(p.get_by_text(re.compile("Order placed: 120 x"))).to_be_visible()
    subscription = Subscription.objects.get()
    email = _squeeze(OutboxMessage.objects.get(to_email=customer_admin.user.email).body_text)

    italian = new_page()
    sign_in(italian, customer_admin.user.email, PASSWORD)
    italian.goto(f"/subscriptions/{subscription.pk}/")

    def shown(term: str) -> str:
        """The text the page shows beside `term` (the subscription's description list)."""
        return _squeeze(italian.locator(f"dt:text-is('{term}') + dd").inner_text())

    cost = shown("Costo mensile")
    quantity = shown("Quantità")
    assert re.fullmatch(r"\d\.\d{3},\d\d\u00a0€.*", cost), cost
    amount = cost.split(" (")[0]
    for text in (amount, quantity):
        assert text in email, (text, email)
    term_end = shown("Periodo").rsplit("\u2013 ", 1)[1]  # after the dash between start and end
    assert term_end in email, (term_end, email)
    assert "Ordinato da" in email and "Modificato" not in email
    screenshot(italian, "commerce-subscription-italian")
