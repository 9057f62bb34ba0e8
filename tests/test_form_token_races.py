"""A double submit that reaches two web processes at the same moment (a double click on Place
order) still places one order: the second request waits on the form token's unique row, then
answers with the first order's page. Real threads on PostgreSQL; a barrier holds both just
before their insert so they really collide (as tests/test_unique_races.py)."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.db import connection
from django.urls import reverse

from commerce.models import Offer, Subscription
from commerce.services import order_place
from portal.form_tokens import FormTokenForm, Repeat, create_once
from portal.models import FormSubmission
from tests.factories import member
from tests.form_tokens import token_in
from tests.relationships.factories import CustomerRelationshipFactory
from tests.threads import in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so inserts never collide",
    ),
]


def test_two_identical_order_posts_at_once_place_one_order_and_both_show_it(monkeypatch):
    shared = CustomerRelationshipFactory()
    admin = member(shared.provider)
    offer = Offer.objects.get(code="team-workspace-standard")
    form = FormTokenForm({"form_token": token_in(str(FormTokenForm()))})
    assert form.is_valid()
    key = form.cleaned_data["form_token"]

    barrier = threading.Barrier(2, timeout=10)
    manager = FormSubmission.objects
    original = manager.create

    def waiting(**kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return original(**kwargs)

    monkeypatch.setattr(manager, "create", waiting)

    def submit():
        return create_once(
            membership=admin,
            purpose="commerce.order",
            key=key,
            create=lambda: order_place(
                actor=admin.user,
                organization=admin.organization,
                customer_id=shared.customer_id,
                offer_id=offer.pk,
                quantity=10,
                term="monthly",
                billing_frequency="monthly",
            ),
            result_url=lambda placed: reverse("commerce:subscription_detail", args=[placed.pk]),
        )

    results = in_threads(submit, submit)

    placed = Subscription.objects.get()
    assert sorted(type(r).__name__ for r in results) == ["Repeat", "Subscription"], results
    repeat = next(r for r in results if isinstance(r, Repeat))
    assert repeat.url == f"/subscriptions/{placed.pk}/"
