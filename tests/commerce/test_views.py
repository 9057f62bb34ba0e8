"""The order page and a subscription's page: who sees them, what they show, refusals with their
reason on the page, and their query budgets."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from commerce.models import Offer, Subscription
from commerce.services import subscription_expire, subscription_quantity_change
from portal import delegation
from portal.models import DelegatedRole
from portal.templatetags.portal_formats import money
from tests.commerce.factories import subscription_for
from tests.commerce.test_billing import csv_rows
from tests.factories import acting, member
from tests.queries import queries_of
from tests.relationships.factories import (
    customer_org,
    provider_org,
    reseller_org,
)

pytestmark = pytest.mark.django_db


def _order_data(code="team-workspace-standard", quantity=10, **extra):
    return {
        "offer": Offer.objects.get(code=code).pk,
        "quantity": quantity,
        "term": "monthly",
        "billing_frequency": "monthly",
        **extra,
    }


def test_provider_orders_from_the_order_page(client_for, shared):
    client = client_for(member(shared.provider))
    url = f"/customers/{shared.customer_id}/order/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Offers and prices in EUR" in page.text
    assert "Team Workspace Standard" in page.text and "€" in page.text
    assert 'name="provider"' not in page.text  # the provider orders as itself
    response = client.post(url, _order_data(quantity=4))
    subscription = Subscription.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/subscriptions/{subscription.pk}/"
    assert subscription.quantity == 4 and subscription.currency == "EUR"


def test_reseller_chooses_its_provider_on_the_order_page(client_for, shared):
    client = client_for(member(shared.reseller))
    url = f"/customers/{shared.customer_id}/order/"
    page = client.get(url)
    assert 'name="provider"' in page.text and "Contoso Distribution" in page.text
    missing = client.post(url, _order_data())
    assert missing.status_code == 400 and not Subscription.objects.exists()
    response = client.post(url, _order_data(provider=shared.provider_id))
    assert response.status_code == 302
    assert Subscription.objects.get().provider == shared.provider


def test_refusal_is_shown_on_the_order_page_with_its_reason(client_for, shared):
    client = client_for(member(shared.provider))
    url = f"/customers/{shared.customer_id}/order/"
    response = client.post(url, _order_data(code="endpoint-guard", quantity=2))
    assert response.status_code == 400
    assert "Enter a quantity from 5 to 10000 for Endpoint Guard." in response.text
    assert not Subscription.objects.exists()


def test_order_page_is_404_without_the_relationship_and_for_customers(client_for, shared):
    stranger = member(provider_org())
    assert client_for(stranger).get(f"/customers/{shared.customer_id}/order/").status_code == 404
    other_reseller = member(reseller_org())
    url = f"/customers/{shared.customer_id}/order/"
    assert client_for(other_reseller).get(url).status_code == 404
    assert client_for(member(shared.customer)).get(url).status_code == 404


def test_subscription_page_for_its_three_parties_and_404_for_others(client_for, shared):
    subscription = subscription_for(shared)
    url = f"/subscriptions/{subscription.pk}/"
    for org in (shared.provider, shared.reseller, shared.customer):
        page = client_for(member(org)).get(url)
        assert page.status_code == 200
        assert "Team Workspace Standard" in page.text and "Active" in page.text
    for org in (provider_org(), reseller_org(), customer_org()):
        assert client_for(member(org)).get(url).status_code == 404
        response = client_for(member(org)).post(f"{url}cancel/", {"confirmed": "yes"})
        assert response.status_code == 404
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE


def test_reduction_after_the_window_is_refused_on_the_page(client_for, shared):
    subscription = subscription_for(shared, quantity=10)
    client = client_for(member(shared.provider))
    url = f"/subscriptions/{subscription.pk}/"
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        page = client.get(url)
        assert "This subscription can no longer be cancelled" in page.text
        assert "Cancel subscription" not in page.text
        response = client.post(f"{url}quantity/", {"quantity": 9})
        assert response.status_code == 400
        assert "The quantity can be reduced only within 7 days (168 hours)" in response.text
        response = client.post(f"{url}quantity/", {"quantity": 12})
        assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.quantity == 12


def test_actions_from_the_page(client_for, shared):
    subscription = subscription_for(shared, quantity=3)
    provider = client_for(member(shared.provider))
    url = f"/subscriptions/{subscription.pk}/"
    assert provider.post(f"{url}auto-renew/", {"auto_renew": "off"}).status_code == 302
    assert provider.post(f"{url}suspend/").status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == "suspended" and subscription.auto_renew is False
    page = provider.get(url)
    assert "Suspended" in page.text and "Reactivate subscription" in page.text
    assert provider.post(f"{url}reactivate/").status_code == 302
    assert provider.post(f"{url}explode/").status_code == 404
    reseller = client_for(member(shared.reseller))
    assert reseller.post(f"{url}suspend/").status_code == 403
    assert reseller.post(f"{url}cancel/", {"confirmed": "yes"}).status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == "cancelled"


def test_helpdesk_sees_the_page_without_controls(client_for, shared):
    subscription = subscription_for(shared)
    page = client_for(member(shared.customer, helpdesk_agent=True)).get(
        f"/subscriptions/{subscription.pk}/"
    )
    assert page.status_code == 200
    assert "Change this subscription" not in page.text


def test_history_names_a_delegated_actor(client_for, shared):
    subscription = subscription_for(shared, quantity=3)
    agent = member(shared.provider, admin_agent=True, global_admin=False)

    def source(user, customer, lock=False):
        if user == agent.user and customer == shared.customer:
            return delegation.DelegatedAccess(
                partner=shared.provider, roles=frozenset({DelegatedRole.DELEGATED_ADMIN})
            )
        return None

    delegation.register_delegation_source(source)
    try:
        subscription_quantity_change(
            actor=agent.user,
            organization=shared.customer,
            subscription_id=subscription.pk,
            quantity=4,
        )
    finally:
        delegation._sources.remove(source)
    page = client_for(member(shared.customer)).get(f"/subscriptions/{subscription.pk}/")
    name = agent.user.get_full_name()
    assert f"{name}, Contoso Distribution (delegated)" in page.text
    assert "Quantity 3 → 4" in page.text


def test_subscription_page_query_budget(client_for, shared):
    """The same queries with 1 change in the history as with 3, at most 12."""
    subscription = subscription_for(shared, quantity=1)
    admin = member(shared.provider)
    client = client_for(admin)
    url = f"/subscriptions/{subscription.pk}/"
    counts = []
    for quantities in ((2,), (3, 4)):
        for quantity in quantities:
            subscription_quantity_change(
                **acting(admin), subscription_id=subscription.pk, quantity=quantity
            )
        count, text = queries_of(client, url)
        counts.append(count)
    assert "Quantity 3 → 4" in text and "Quantity 1 → 2" in text
    assert counts[0] == counts[1] <= 12, counts


def test_order_page_query_budget(client_for, shared):
    """The same queries with 1 extra offer on sale as with 3, at most 12."""
    from commerce.models import OfferPrice

    client = client_for(member(shared.reseller))
    url = f"/customers/{shared.customer_id}/order/"
    counts = []
    for indexes in ((0,), (1, 2)):
        for index in indexes:
            offer = Offer.objects.create(
                code=f"extra-{index}", name=f"Extra {index}", kind="seat", unit="u"
            )
            OfferPrice.objects.create(
                offer=offer, currency="EUR", monthly_term_price=1, annual_term_price=1
            )
        count, text = queries_of(client, url)
        counts.append(count)
    assert all(f"Extra {index}" in text for index in range(3))
    assert counts[0] == counts[1] <= 12, counts


def test_provider_agent_with_dap_changes_the_subscription_in_the_customers_account(client_for):
    """The real delegation source: Contoso's Admin agent administers the customer (DAP), sees
    the subscription there and raises its quantity; the history says it was delegated. Suspending
    stays the provider's own action, not one of the customer's account."""
    from django.urls import reverse

    from tests.delegation.factories import dap_world

    world = dap_world()
    subscription = subscription_for(world.shared, quantity=3)
    client = client_for(world.provider_agent)
    client.post(reverse("delegation:administer", args=[world.customer.pk]))
    url = f"/subscriptions/{subscription.pk}/"
    assert client.get(url).status_code == 200
    assert client.post(f"{url}quantity/", {"quantity": 5}).status_code == 302
    event = subscription.events.get(type="quantity_changed")
    assert event.delegated and event.actor_organization == world.provider
    assert client.post(f"{url}suspend/").status_code in (403, 404)  # not in the customer's role
    subscription.refresh_from_db()
    assert subscription.quantity == 5 and subscription.status == "active"


def _end(subscription: Subscription, client, how: str) -> None:
    """Cancelled from its page (confirmed), or expired by the term-end sweep without auto-renew."""
    if how == "cancelled":
        response = client.post(f"/subscriptions/{subscription.pk}/cancel/", {"confirmed": "yes"})
        assert response.status_code == 302
    else:
        client.post(f"/subscriptions/{subscription.pk}/auto-renew/", {"auto_renew": "off"})
        subscription_expire(subscription_id=subscription.pk, now=subscription.term_end)
    subscription.refresh_from_db()
    assert subscription.status == how


@pytest.mark.parametrize("how", ["cancelled", "expired"])
def test_an_ended_subscription_shows_its_final_state_only(client_for, shared, how):
    subscription = subscription_for(shared, quantity=3)
    client = client_for(member(shared.provider))
    live = client.get(f"/subscriptions/{subscription.pk}/").text
    assert "Changes allowed until" in live and "Auto-renew" in live and "€" in live
    _end(subscription, client, how)

    page = client.get(f"/subscriptions/{subscription.pk}/").text
    details = page[page.index("<dl") : page.index("</dl>")]
    assert f'<dd class="col-sm-8">{how.capitalize()}</dd>' in details
    assert '<dt class="col-sm-4">Ended</dt>' in details
    assert "Changes allowed until" not in details and "(open)" not in details
    assert "Auto-renew" not in details and "Unit price" not in details
    assert f"None: {how}, no longer billed" in details
    assert "€" not in details
    assert "Change this subscription" not in page and "Cancel subscription" not in page


@pytest.mark.parametrize("how", ["cancelled", "expired"])
def test_lists_and_billing_show_an_ended_subscription_without_cost_or_auto_renew(
    client_for, shared, how
):
    kept = subscription_for(shared, quantity=2)
    ended = subscription_for(shared, code="object-storage", quantity=4)
    client = client_for(member(shared.provider))
    _end(ended, client, how)

    for path in ("/subscriptions/", "/billing/"):
        text = client.get(path).text
        table = text[text.index("<tbody>", text.index("Offer")) :]
        row = table[table.index(ended.offer.name) :]
        row = row[: row.index("</tr>")]
        assert "Ended " in row and "Not applicable" in row and ">None<" in row, row
        assert "€" not in row and ">On<" not in row
        kept_row = table[table.index(kept.offer.name) :]
        assert "€" in kept_row[: kept_row.index("</tr>")]

    billing = client.get("/billing/").text
    totals = billing[billing.index("totals-heading") : billing.index("</table>")]
    # One live subscription in EUR, at the kept one's cost only.
    assert re.search(r'<td class="text-end">1</td>', totals), totals
    kept.refresh_from_db()
    assert money(kept.monthly_cost, "EUR") in totals

    rows = csv_rows(client.get("/billing/export.csv"))
    header = rows[0]
    cost = header.index("Monthly cost")
    by_offer = {row[header.index("Offer")]: row for row in rows[1:]}
    assert by_offer[ended.offer.name][cost] == ""
    assert by_offer[kept.offer.name][cost] == f"{kept.monthly_cost:.2f}"
