"""A provider places an order for a shared customer from the customer's page and lands on the
subscription; an older subscription explains why it can no longer be reduced or cancelled."""

import re

import pytest
from playwright.sync_api import expect

from commerce.models import Offer, Subscription
from tests.commerce.factories import days_ago, subscription_for
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import PASSWORD, member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_provider_orders_and_changes_a_subscription(new_page):
    shared = CustomerRelationshipFactory(
        customer=customer_org(legal_name="Adatum Retail S.p.A."),
        relationship=ProviderRelationshipFactory(
            provider=provider_org(legal_name="Contoso Distribution")
        ),
    )
    admin = member(shared.provider)
    older = subscription_for(shared, code="secure-mail-plus", quantity=12, purchased=days_ago(20))
    p = new_page()
    sign_in(p, admin.user.email, PASSWORD)
    p.goto(f"/customers/{shared.customer_id}/")
    p.get_by_role("link", name="Place an order").click()
    expect(p.get_by_role("heading", name="Place an order for Adatum Retail S.p.A.")).to_be_visible()
    offer = Offer.objects.get(code="team-workspace-standard")
    p.get_by_label("Offer", exact=True).select_option(value=str(offer.pk))
    p.get_by_label("Quantity").fill("25")
    p.get_by_label("Annual").first.check()
    screenshot(p, "commerce-order")
    p.get_by_role("button", name="Place order").click()
    expect(p.get_by_text("Order placed: 25 x Team Workspace Standard")).to_be_visible()
    expect(p.get_by_role("heading", name=re.compile("Team Workspace Standard"))).to_be_visible()
    p.get_by_label("New quantity").fill("20")
    p.get_by_role("button", name="Change quantity").click()
    expect(p.get_by_text("Quantity changed.")).to_be_visible()
    screenshot(p, "commerce-subscription-detail")
    assert Subscription.objects.get(offer=offer).quantity == 20

    p.goto(f"/subscriptions/{older.pk}/")
    p.get_by_label("New quantity").fill("10")
    p.get_by_role("button", name="Change quantity").click()
    expect(p.get_by_role("alert")).to_contain_text("only within 7 days (168 hours)")
    expect(p.get_by_text("This subscription can no longer be cancelled")).to_be_visible()
    screenshot(p, "commerce-subscription-window-closed")
    older.refresh_from_db()
    assert older.quantity == 12
