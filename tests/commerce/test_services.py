"""Orders and subscription changes (issue 12 acceptance): as Contoso order for Adatum in EUR, raise
the quantity, a reduction after 7 days refused with the reason, renewal and expiry at the term
end, emails to the right admins once, audit events in all three logs, totals after each change."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import formats, timezone

from commerce.models import (
    CHANGE_WINDOW,
    BillingTotal,
    Offer,
    OfferPrice,
    Subscription,
    SubscriptionEvent,
)
from commerce.selectors import billing_totals_by_currency
from commerce.services import (
    order_place,
    subscription_auto_renew_set,
    subscription_cancel,
    subscription_quantity_change,
    subscription_reactivate,
    subscription_suspend,
    subscriptions_sweep_due,
)
from portal import delegation
from portal.models import AuditEvent, DelegatedRole, Market, OutboxMessage
from tests.commerce.billing_factories import subscription
from tests.commerce.factories import subscription_for
from tests.factories import acting, member
from tests.relationships.factories import (
    CustomerRelationshipFactory,
    ProviderRelationshipFactory,
    customer_org,
    provider_org,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Contoso (provider) and Northwind (reseller) share Adatum (an Italian customer)."""
    shared = CustomerRelationshipFactory(
        customer=customer_org(legal_name="Adatum Retail S.p.A."),
        relationship=ProviderRelationshipFactory(
            provider=provider_org(legal_name="Contoso Distribution")
        ),
    )
    return {
        "shared": shared,
        "contoso": member(shared.provider),
        "northwind": member(shared.reseller),
        "adatum": member(shared.customer),
        "adatum_billing": member(shared.customer, billing_admin=True),
        "adatum_helpdesk": member(shared.customer, helpdesk_agent=True),
    }


def _offer(code: str = "team-workspace-standard") -> Offer:
    return Offer.objects.get(code=code)


def _order(membership, customer_id, *, code="team-workspace-standard", quantity=10, **kwargs):
    kwargs.setdefault("term", "monthly")
    kwargs.setdefault("billing_frequency", "monthly")
    return order_place(
        **acting(membership),
        customer_id=customer_id,
        offer_id=_offer(code).pk,
        quantity=quantity,
        **kwargs,
    )


def _total(org, currency="EUR", customer=None) -> tuple[int, Decimal]:
    row = BillingTotal.objects.filter(
        organization=org, currency=currency, customer=customer
    ).first()
    return (row.subscriptions, row.monthly_cost) if row else (0, Decimal("0"))


def _assert_totals(subscription: Subscription, count: int, cost: Decimal) -> None:
    for org in (subscription.customer, subscription.reseller, subscription.provider):
        assert _total(org, subscription.currency) == (count, cost)
        assert _total(org, subscription.currency, subscription.customer) == (count, cost)


def test_contoso_orders_for_adatum_in_euro(world):
    shared = world["shared"]
    subscription = _order(world["contoso"], shared.customer_id, quantity=10)
    price = OfferPrice.objects.get(offer__code="team-workspace-standard", currency="EUR")
    assert subscription.currency == "EUR"
    assert subscription.unit_price == price.monthly_term_price
    assert subscription.monthly_cost == price.monthly_term_price * 10
    assert subscription.provider == shared.provider and subscription.reseller == shared.reseller
    assert subscription.status == Subscription.Status.ACTIVE
    now = timezone.now()
    assert subscription.change_window_ends_at - now <= timedelta(hours=168)
    assert subscription.change_window_ends_at - now > timedelta(hours=167)
    assert subscription.next_action_at == subscription.term_end
    assert 28 <= (subscription.term_end - subscription.term_start).days <= 31
    assert subscription.order.placed_by_organization == shared.provider
    event = subscription.events.get()
    assert event.type == SubscriptionEvent.Type.ORDERED and not event.delegated
    _assert_totals(subscription, 1, price.monthly_term_price * 10)


def test_annual_term_ends_a_year_later_at_the_annual_price(world):
    shared = world["shared"]
    subscription = _order(world["contoso"], shared.customer_id, term="annual")
    price = OfferPrice.objects.get(offer__code="team-workspace-standard", currency="EUR")
    assert subscription.unit_price == price.annual_term_price < price.monthly_term_price
    assert subscription.term_end.year == subscription.term_start.year + 1


def test_every_party_logs_the_order_in_its_audit_log(world):
    shared = world["shared"]
    subscription = _order(world["contoso"], shared.customer_id)
    logged = set(
        AuditEvent.objects.filter(type="commerce.order.placed").values_list(
            "organization_id", flat=True
        )
    )
    assert logged == {shared.customer_id, shared.reseller_id, shared.provider_id}
    subscription_quantity_change(
        **acting(world["adatum"]), subscription_id=subscription.pk, quantity=12
    )
    logged = set(
        AuditEvent.objects.filter(type="commerce.subscription.quantity_changed").values_list(
            "organization_id", flat=True
        )
    )
    assert logged == {shared.customer_id, shared.reseller_id, shared.provider_id}


def test_order_for_a_customer_without_a_relationship_is_refused(world):
    stranger = customer_org(legal_name="Stranger SpA")
    with pytest.raises(ValidationError) as exc:
        _order(world["contoso"], stranger.pk)
    assert "holds no active reseller relationship" in " ".join(exc.value.messages)
    assert not Subscription.objects.exists()
    assert not BillingTotal.objects.exists()


def test_reseller_orders_through_its_provider_who_bills_it(world):
    shared = world["shared"]
    subscription = _order(
        world["northwind"], shared.customer_id, provider_id=shared.provider_id, quantity=3
    )
    assert subscription.provider == shared.provider
    assert subscription.order.placed_by_organization == shared.reseller
    with pytest.raises(ValidationError) as exc:
        _order(world["northwind"], shared.customer_id)  # no provider chosen
    assert "provider" in exc.value.message_dict
    other = provider_org()
    ProviderRelationshipFactory(provider=other, reseller=shared.reseller)
    with pytest.raises(ValidationError):
        _order(world["northwind"], shared.customer_id, provider_id=other.pk)
    assert Subscription.objects.count() == 1


def test_offer_without_a_price_in_the_market_currency_is_refused(world):
    shared = world["shared"]
    dollars_only = Offer.objects.create(
        code="us-only", name="US Only Suite", kind="seat", unit="user"
    )
    OfferPrice.objects.create(
        offer=dollars_only, currency="USD", monthly_term_price=5, annual_term_price=4
    )
    with pytest.raises(ValidationError) as exc:
        order_place(
            **acting(world["contoso"]),
            customer_id=shared.customer_id,
            offer_id=dollars_only.pk,
            quantity=1,
            term="monthly",
            billing_frequency="monthly",
        )
    assert exc.value.message_dict["offer"] == [
        "US Only Suite is not sold in Italy (no price in EUR)."
    ]
    assert not Subscription.objects.exists()


def test_offer_not_on_sale_and_quantity_outside_the_offer_are_refused(world):
    shared = world["shared"]
    with pytest.raises(ValidationError) as exc:
        _order(world["contoso"], shared.customer_id, code="endpoint-guard", quantity=2)
    assert "from 5 to" in exc.value.message_dict["quantity"][0]
    with pytest.raises(ValidationError):
        _order(world["contoso"], shared.customer_id, quantity=301)
    Offer.objects.filter(code="object-storage").update(is_active=False)
    with pytest.raises(ValidationError) as exc:
        _order(world["contoso"], shared.customer_id, code="object-storage")
    assert exc.value.message_dict["offer"] == ["This offer is not on sale."]
    assert not Subscription.objects.exists()


def test_quantity_goes_up_any_time_and_down_only_within_the_window(world):
    shared = world["shared"]
    subscription = _order(world["contoso"], shared.customer_id, quantity=10)
    unit = subscription.unit_price
    subscription_quantity_change(
        **acting(world["northwind"]), subscription_id=subscription.pk, quantity=8
    )
    _assert_totals(subscription, 1, unit * 8)
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        subscription_quantity_change(
            **acting(world["adatum"]), subscription_id=subscription.pk, quantity=15
        )
        _assert_totals(subscription, 1, unit * 15)
        with pytest.raises(ValidationError) as exc:
            subscription_quantity_change(
                **acting(world["contoso"]), subscription_id=subscription.pk, quantity=14
            )
        message = " ".join(exc.value.messages)
        assert "only within 7 days (168 hours) of purchase or renewal" in message
        assert "closed on" in message
        with pytest.raises(ValidationError):
            subscription_cancel(**acting(world["contoso"]), subscription_id=subscription.pk)
    subscription.refresh_from_db()
    assert subscription.quantity == 15
    _assert_totals(subscription, 1, unit * 15)
    assert [e.type for e in subscription.events.order_by("created_at", "pk")] == [
        "ordered",
        "quantity_changed",
        "quantity_changed",
    ]


def _window_opened(world, start: str) -> tuple[Subscription, datetime]:
    """A subscription of 10 seats and when its change window opened: at the purchase, or at
    the renewal (the sweep at the term end opens it again for CHANGE_WINDOW)."""
    subscription = _order(world["contoso"], world["shared"].customer_id, quantity=10)
    if start == "purchase":
        return subscription, subscription.purchased_at
    renewed_at = subscription.term_end + timedelta(minutes=1)
    with time_machine.travel(renewed_at, tick=False):
        assert subscriptions_sweep_due() == 1
    return subscription, renewed_at


def _reduce_or_cancel(world, subscription: Subscription, change: str) -> None:
    if change == "reduce":
        subscription_quantity_change(
            **acting(world["adatum"]), subscription_id=subscription.pk, quantity=9
        )
    else:
        subscription_cancel(**acting(world["adatum"]), subscription_id=subscription.pk)


@pytest.mark.parametrize("start", ["purchase", "renewal"])
@pytest.mark.parametrize("change", ["reduce", "cancel"])
def test_the_change_window_is_open_until_168_hours_after_purchase_or_renewal(world, start, change):
    subscription, opened = _window_opened(world, start)
    with time_machine.travel(opened + CHANGE_WINDOW - timedelta(minutes=1), tick=False):
        _reduce_or_cancel(world, subscription, change)
    subscription.refresh_from_db()
    expected = (9, "active") if change == "reduce" else (10, "cancelled")
    assert (subscription.quantity, subscription.status) == expected


@pytest.mark.parametrize("start", ["purchase", "renewal"])
@pytest.mark.parametrize("change", ["reduce", "cancel"])
def test_the_change_window_is_closed_from_168_hours_after_purchase_or_renewal(world, start, change):
    subscription, opened = _window_opened(world, start)
    late = opened + CHANGE_WINDOW + timedelta(minutes=1)
    with time_machine.travel(late, tick=False), pytest.raises(ValidationError) as exc:
        _reduce_or_cancel(world, subscription, change)
    message = " ".join(exc.value.messages)
    assert "only within 7 days (168 hours) of purchase or renewal" in message
    closed = formats.date_format(timezone.localtime(opened + CHANGE_WINDOW), "DATETIME_FORMAT")
    assert f"the window for this term closed on {closed}." in message
    subscription.refresh_from_db()
    assert (subscription.quantity, subscription.status) == (10, "active")


def test_quantity_below_one_is_refused(world):
    subscription = _order(world["contoso"], world["shared"].customer_id, quantity=2)
    with pytest.raises(ValidationError):
        subscription_quantity_change(
            **acting(world["contoso"]), subscription_id=subscription.pk, quantity=0
        )


def test_cancel_within_the_window_removes_the_cost(world):
    subscription = _order(world["contoso"], world["shared"].customer_id, quantity=4)
    subscription_cancel(**acting(world["adatum"]), subscription_id=subscription.pk)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CANCELLED
    assert subscription.next_action_at is None
    _assert_totals(subscription, 0, Decimal("0.00"))
    with pytest.raises(ValidationError):
        subscription_quantity_change(
            **acting(world["adatum"]), subscription_id=subscription.pk, quantity=5
        )


def test_totals_back_to_nothing_are_exactly_zero_and_leave_the_billing_page(world):
    """Costs in cents added and taken away leave no residue in the running totals (SQLite keeps
    decimals as floats: unrounded, the provider's EUR row stayed listed at -0.00)."""
    shared = world["shared"]
    made = [subscription(shared, unit_price=price) for price in ("12.34", "22.10", "0.07")]
    for each in made:
        subscription_cancel(**acting(world["adatum"]), subscription_id=each.pk)
    totals = BillingTotal.objects.filter(organization=shared.provider)
    assert totals.count() == 2  # overall and for Adatum, both back to nothing
    assert totals.filter(subscriptions=0, monthly_cost=0).count() == 2
    assert billing_totals_by_currency(organization=shared.provider) == []


def test_suspend_keeps_the_cost_and_only_the_provider_may(world):
    subscription = _order(world["contoso"], world["shared"].customer_id, quantity=4)
    cost = subscription.monthly_cost
    with pytest.raises(PermissionDenied):
        subscription_suspend(**acting(world["northwind"]), subscription_id=subscription.pk)
    subscription_suspend(**acting(world["contoso"]), subscription_id=subscription.pk)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.SUSPENDED
    _assert_totals(subscription, 1, cost)
    subscription_reactivate(**acting(world["contoso"]), subscription_id=subscription.pk)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE


def test_another_tenant_cannot_act_on_the_subscription(world):
    subscription = _order(world["contoso"], world["shared"].customer_id)
    stranger = member(provider_org())
    with pytest.raises(Subscription.DoesNotExist):
        subscription_quantity_change(
            **acting(stranger), subscription_id=subscription.pk, quantity=20
        )
    with pytest.raises(Subscription.DoesNotExist):
        subscription_cancel(**acting(member(customer_org())), subscription_id=subscription.pk)
    with pytest.raises(PermissionDenied):
        subscription_cancel(**acting(world["adatum_helpdesk"]), subscription_id=subscription.pk)


def test_emails_go_once_to_the_customer_and_reseller_admins(world):
    shared = world["shared"]
    reseller_billing = member(shared.reseller, billing_admin=True)
    sales = member(shared.reseller, sales_agent=True)
    subscription = _order(world["contoso"], shared.customer_id)
    sent = list(OutboxMessage.objects.values_list("to_email", flat=True))
    assert len(sent) == len(set(sent))  # once each
    for admin in (world["adatum"], world["adatum_billing"], world["northwind"], reseller_billing):
        assert admin.user.email in sent
    for other in (sales, world["adatum_helpdesk"], world["contoso"]):
        assert other.user.email not in sent
    count = len(sent)
    # The same event again (a retried task): no second message.
    from commerce.emails import send_subscription_changed

    send_subscription_changed(subscription, subscription.events.get())
    assert OutboxMessage.objects.count() == count
    subscription_auto_renew_set(
        **acting(world["adatum"]), subscription_id=subscription.pk, auto_renew=False
    )
    assert OutboxMessage.objects.count() == 2 * count
    # Setting what is already set is no change: no event, no email.
    subscription_auto_renew_set(
        **acting(world["adatum"]), subscription_id=subscription.pk, auto_renew=False
    )
    assert OutboxMessage.objects.count() == 2 * count


def test_renewal_at_the_term_end_with_auto_renew_reopens_the_window(world):
    subscription = _order(world["contoso"], world["shared"].customer_id, quantity=6)
    old_end = subscription.term_end
    OfferPrice.objects.filter(offer=subscription.offer, currency="EUR").update(
        monthly_term_price=Decimal("20.00")
    )
    with time_machine.travel(old_end - timedelta(minutes=1), tick=False):
        assert subscriptions_sweep_due() == 0
    with time_machine.travel(old_end + timedelta(minutes=1), tick=False):
        assert subscriptions_sweep_due() == 1
        assert subscriptions_sweep_due() == 0  # twice changes nothing
        subscription.refresh_from_db()
        assert subscription.status == Subscription.Status.ACTIVE
        assert subscription.term_start == old_end
        assert subscription.next_action_at == subscription.term_end > old_end
        assert subscription.unit_price == Decimal("20.00")
        assert subscription.in_change_window
        _assert_totals(subscription, 1, Decimal("120.00"))
        # The window is open again: a reduction is allowed.
        subscription_quantity_change(
            **acting(world["contoso"]), subscription_id=subscription.pk, quantity=5
        )
    assert subscription.events.filter(type="renewed", actor=None).count() == 1
    assert AuditEvent.objects.filter(type="commerce.subscription.renewed").count() == 3


def test_expiry_at_the_term_end_without_auto_renew(world):
    subscription = _order(world["contoso"], world["shared"].customer_id, quantity=6)
    subscription_auto_renew_set(
        **acting(world["northwind"]), subscription_id=subscription.pk, auto_renew=False
    )
    with time_machine.travel(subscription.term_end + timedelta(hours=1), tick=False):
        assert subscriptions_sweep_due() == 1
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.EXPIRED
    assert subscription.next_action_at is None
    _assert_totals(subscription, 0, Decimal("0.00"))
    assert AuditEvent.objects.filter(type="commerce.subscription.expired").count() == 3


def test_suspended_subscription_expires_at_the_term_end(world):
    shared = world["shared"]
    subscription = subscription_for(shared, purchased=timezone.now() - timedelta(days=40))
    subscription_suspend(**acting(world["contoso"]), subscription_id=subscription.pk)
    assert subscriptions_sweep_due() == 1
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.EXPIRED


@pytest.fixture
def delegated_admin(world):
    """Contoso's agent administers Adatum through delegated admin (a stand-in source; the real one
    is the delegation app's)."""
    shared = world["shared"]
    agent = member(shared.provider, admin_agent=True, global_admin=False)

    def source(user, customer, lock=False):
        if user == agent.user and customer == shared.customer:
            return delegation.DelegatedAccess(
                partner=shared.provider, roles=frozenset({DelegatedRole.DELEGATED_ADMIN})
            )
        return None

    delegation.register_delegation_source(source)
    yield agent
    delegation._sources.remove(source)


def test_delegated_change_is_recorded_as_delegated(world, delegated_admin):
    shared = world["shared"]
    subscription = _order(world["contoso"], shared.customer_id, quantity=5)
    subscription_quantity_change(
        actor=delegated_admin.user,
        organization=shared.customer,
        subscription_id=subscription.pk,
        quantity=9,
    )
    event = subscription.events.get(type="quantity_changed")
    assert event.delegated is True
    assert event.actor == delegated_admin.user
    assert event.actor_organization == shared.provider


def test_market_currency_decides_the_price(world):
    shared = world["shared"]
    shared.customer.country = Market.objects.get(code="GB")
    shared.customer.save()
    subscription = _order(world["contoso"], shared.customer_id)
    assert subscription.currency == "GBP"
