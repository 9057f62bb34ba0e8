"""A removal is a point in time: a customer removing a partner's admin access while the
partner's agent changes a subscription's quantity in its account. Real threads on PostgreSQL;
a barrier holds both right before their locks (the removal's `FOR UPDATE` on the access row,
the delegated write's `FOR SHARE` on the same row), so they really collide. Either the change
commits before the removal or it is refused after it: none is stamped after `removed_at`."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from commerce.models import Subscription, SubscriptionEvent
from commerce.services import subscription_quantity_change
from delegation.models import AdminAccess
from delegation.services import dap
from portal import delegation
from tests.commerce.factories import subscription_for
from tests.delegation.factories import dap_world
from tests.factories import acting
from tests.threads import in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so the two never overlap",
    ),
]

RACES = 20


def _held_at_the_barrier(monkeypatch, barrier: threading.Barrier) -> None:
    """Both sides wait for each other right before they lock the access row."""

    def waiting(original):
        def wait_then(*args, **kwargs):
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
            return original(*args, **kwargs)

        return wait_then

    monkeypatch.setattr(dap, "_locked_access", waiting(dap._locked_access))
    monkeypatch.setattr(
        delegation, "delegated_access_lock", waiting(delegation.delegated_access_lock)
    )


def test_no_delegated_write_commits_after_the_removal(monkeypatch):
    world = dap_world()
    subscription = subscription_for(world.shared, quantity=3)
    barrier = threading.Barrier(2, timeout=10)
    _held_at_the_barrier(monkeypatch, barrier)
    before, refused, late = 0, 0, []

    for race in range(RACES):
        # The customer relationship granted the first; each race after it grants it again.
        access, _created = AdminAccess.objects.get_or_create(
            customer=world.customer,
            partner=world.provider,
            status=AdminAccess.Status.ACTIVE,
            defaults={"reseller": world.reseller},
        )
        quantity = 4 + race
        removal, change = in_threads(
            lambda access=access: dap.admin_access_remove(
                **acting(world.customer_admin), access_id=access.pk
            ),
            lambda quantity=quantity: subscription_quantity_change(
                actor=world.provider_agent.user,
                organization=world.customer,
                subscription_id=subscription.pk,
                quantity=quantity,
            ),
        )
        assert isinstance(removal, AdminAccess), removal
        access.refresh_from_db()
        assert access.removed_at is not None
        if isinstance(change, Subscription):
            before += 1
            event = SubscriptionEvent.objects.get(
                subscription=subscription, type="quantity_changed", details__to=quantity
            )
            if event.created_at > access.removed_at:
                late.append(race)
        else:
            assert isinstance(change, PermissionDenied), change
            assert str(change) == f"Your admin access to {world.customer.legal_name} ended."
            assert not SubscriptionEvent.objects.filter(
                subscription=subscription, details__to=quantity
            ).exists()
            refused += 1

    print(
        f"\nremoval vs delegated change, {RACES} races: {before} committed before the removal, "
        f"{refused} refused after it, {len(late)} committed after it"
    )
    assert late == []
    assert before + refused == RACES
