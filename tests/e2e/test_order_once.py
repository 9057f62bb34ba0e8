"""Back after placing an order, then Place order again: the browser shows the order form as it
was filled and sends it again, with the one-time token it was rendered with; the portal shows
the subscription the first click placed, and there is still one (portal/form_tokens.py)."""

import re

import pytest
from playwright.sync_api import expect

from commerce.models import Offer, Subscription
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_back_after_an_order_and_place_order_again_shows_the_first_order(new_page):
    shared = CustomerRelationshipFactory(
        customer=customer_org(legal_name="Adatum Retail S.p.A."),
        relationship=ProviderRelationshipFactory(
            provider=provider_org(legal_name="Contoso Distribution")
        ),
    )
    admin = member(shared.provider)
    offer = Offer.objects.get(code="team-workspace-standard")
    p = new_page()
    sign_in(p, admin.user.email, PASSWORD)
    p.goto(f"/customers/{shared.customer_id}/order/")
    p.get_by_label("Offer", exact=True).select_option(value=str(offer.pk))
    p.get_by_label("Quantity").fill("25")
    p.get_by_role("button", name="Place order").click()
    expect(p.get_by_text("Order placed: 25 x Team Workspace Standard")).to_be_visible()
    first = Subscription.objects.get()
    assert p.url.endswith(f"/subscriptions/{first.pk}/")

    p.go_back()
    expect(p.get_by_role("heading", name="Place an order for Adatum Retail S.p.A.")).to_be_visible()
    expect(p.get_by_label("Quantity")).to_have_value("25")
    p.get_by_role("button", name="Place order").click()

    expect(p.get_by_text("This order was already placed; here it is.")).to_be_visible()
    expect(p.get_by_role("heading", name=re.compile("Team Workspace Standard"))).to_be_visible()
    assert p.url.endswith(f"/subscriptions/{first.pk}/")
    screenshot(p, "commerce-order-placed-once")
    assert Subscription.objects.count() == 1
