"""An order form is placed once: sending it again (Back and Place order, a double click) shows
the subscription it placed instead of placing a second one (portal/form_tokens.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from commerce.models import Offer, Subscription
from tests.factories import member
from tests.form_tokens import followed_message, token_in
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    customer_org,
)

pytestmark = pytest.mark.django_db


def _order(
    client, customer_id: int, token: str, quantity: int = 10, code="team-workspace-standard"
):
    return client.post(
        f"/customers/{customer_id}/order/",
        {
            "offer": Offer.objects.get(code=code).pk,
            "quantity": quantity,
            "term": "monthly",
            "billing_frequency": "monthly",
            "form_token": token,
        },
    )


def _token(client, customer_id: int) -> str:
    return token_in(client.get(f"/customers/{customer_id}/order/").text)


def test_the_same_order_form_sent_twice_places_one_order_and_shows_it(client_for, shared):
    client = client_for(member(shared.provider))
    token = _token(client, shared.customer_id)
    first = _order(client, shared.customer_id, token)
    subscription = Subscription.objects.get()
    assert first["Location"] == f"/subscriptions/{subscription.pk}/"
    assert "Order placed" in client.get(first["Location"]).text
    again = _order(client, shared.customer_id, token)
    assert again["Location"] == f"/subscriptions/{subscription.pk}/"
    assert Subscription.objects.count() == 1
    page = followed_message(client, again)
    assert "This order was already placed; here it is." in page
    assert "Order placed" not in page


def test_a_new_order_form_places_another_order(client_for, shared):
    client = client_for(member(shared.provider))
    _order(client, shared.customer_id, _token(client, shared.customer_id))
    _order(client, shared.customer_id, _token(client, shared.customer_id), quantity=3)
    assert sorted(Subscription.objects.values_list("quantity", flat=True)) == [3, 10]


def test_a_colleagues_or_another_tenants_copy_of_the_token_never_shows_the_first_order(
    client_for, shared
):
    admin = member(shared.provider)
    client = client_for(admin)
    token = _token(client, shared.customer_id)
    _order(client, shared.customer_id, token)
    first = Subscription.objects.get()

    colleague = client_for(member(shared.provider))
    theirs = _order(colleague, shared.customer_id, token, quantity=5)
    assert Subscription.objects.count() == 2
    assert theirs["Location"] != f"/subscriptions/{first.pk}/"

    other = CustomerRelationshipFactory(customer=customer_org(legal_name="Fabrikam Foods"))
    stranger = client_for(member(other.provider))
    response = _order(stranger, other.customer_id, token, quantity=7)
    made = Subscription.objects.get(customer=other.customer)
    assert response["Location"] == f"/subscriptions/{made.pk}/"
    assert made.quantity == 7
    # And on the first customer's order page, the other tenant finds nothing at all.
    assert _order(stranger, shared.customer_id, token).status_code == 404
    assert Subscription.objects.count() == 3


def test_a_refused_order_keeps_its_form_usable(client_for, shared):
    client = client_for(member(shared.provider))
    token = _token(client, shared.customer_id)
    refused = _order(client, shared.customer_id, token, quantity=2, code="endpoint-guard")
    assert refused.status_code == 400
    assert token_in(refused.text) == token
    placed = _order(client, shared.customer_id, token, quantity=5, code="endpoint-guard")
    assert placed.status_code == 302
    assert Subscription.objects.get().quantity == 5


def test_an_order_form_left_open_for_more_than_a_week_is_refused_with_a_fresh_one(
    client_for, shared
):
    client = client_for(member(shared.provider))
    token = _token(client, shared.customer_id)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        stale = _order(client, shared.customer_id, token)
        assert stale.status_code == 400
        assert "open for more than 7 days, so it was not sent" in stale.text
        assert not Subscription.objects.exists()
        assert _order(client, shared.customer_id, token_in(stale.text)).status_code == 302
    assert Subscription.objects.count() == 1
