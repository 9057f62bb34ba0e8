"""Orders and subscription changes: each a named transition under a row lock, writing a
`SubscriptionEvent`, an audit event in the customer's, reseller's and provider's logs, the running
billing totals (`billing_totals_apply`) and emails to the customer's and reseller's admins, in one
transaction.

Who may act on a subscription: a member of its provider, reseller or customer (the `organization`
argument is the acting organization and must be one of the three, else `Subscription.DoesNotExist`,
a 404 to the pages), or a partner acting in the customer's account through delegated admin (then
`require_member` returns a delegated membership of the customer and the event says so). The
new-commerce rule: the quantity goes down, or the subscription is cancelled, only within
`CHANGE_WINDOW` of purchase or renewal; it goes up at any time."""

from __future__ import annotations

import calendar
import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record_for
from portal.models import Membership, Organization, User
from portal.policy import Action, require, require_member
from portal.templatetags.portal_formats import local_date
from portal.turns import WriterTurns
from relationships.services.orders import order_customer_relationship

from . import emails
from .billing import LIVE_STATUSES, billing_totals_add, billing_totals_apply, monthly_amounts
from .currency import order_currency
from .events import AuditType
from .hooks import subscription_changed
from .models import (
    CHANGE_WINDOW,
    BillingFrequency,
    Offer,
    OfferPrice,
    Order,
    Subscription,
    SubscriptionEvent,
    Term,
)
from .pricing import catalogue_price, tier_prices

logger = logging.getLogger(__name__)

Status = Subscription.Status
EventType = SubscriptionEvent.Type

_AUDIT_TYPES = {
    EventType.ORDERED: AuditType.ORDER_PLACED,
    EventType.QUANTITY_CHANGED: AuditType.QUANTITY_CHANGED,
    EventType.AUTO_RENEW_CHANGED: AuditType.AUTO_RENEW_CHANGED,
    EventType.CANCELLED: AuditType.CANCELLED,
    EventType.SUSPENDED: AuditType.SUSPENDED,
    EventType.REACTIVATED: AuditType.REACTIVATED,
    EventType.RENEWED: AuditType.RENEWED,
    EventType.EXPIRED: AuditType.EXPIRED,
}


def add_months(value: datetime, months: int) -> datetime:
    """`value` plus whole calendar months, on the same day (or the month's last day)."""
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def term_end_after(start: datetime, term: str) -> datetime:
    return add_months(start, 12 if term == Term.ANNUAL else 1)


def unit_price_of(price: OfferPrice, term: str) -> Decimal:
    """The catalogue price (the provider's cost) per unit per month for `term`."""
    return catalogue_price(price, term)


def subscription_new(
    *,
    purchased_at: datetime,
    term: str,
    unit_price: Decimal,
    quantity: int,
    term_end: datetime | None = None,
    reseller_price: Decimal | None = None,
    customer_price: Decimal | None = None,
    **fields: Any,
) -> Subscription:
    """An unsaved subscription bought at `purchased_at`, with what follows from it in one place:
    its monthly cost, its first term (to `term_end`, by default one term), the 7-day change window
    and the date the sweep renews or expires it. `order_place`, the demo and the tests build
    subscriptions with it. The tiers' prices default to the catalogue price; the doors that sell
    pass them from `commerce.pricing.tier_prices`."""
    end = term_end or term_end_after(purchased_at, term)
    return Subscription(
        term=term,
        unit_price=unit_price,
        reseller_price=unit_price if reseller_price is None else reseller_price,
        customer_price=unit_price if customer_price is None else customer_price,
        quantity=quantity,
        monthly_cost=unit_price * quantity,
        purchased_at=purchased_at,
        term_start=purchased_at,
        term_end=end,
        change_window_ends_at=purchased_at + CHANGE_WINDOW,
        next_action_at=end,
        **fields,
    )


def _date(value: datetime) -> str:
    return local_date(value, "DATETIME_FORMAT")


def _check_quantity(offer: Offer, quantity: int) -> None:
    low = max(1, offer.min_quantity)
    if not low <= quantity <= offer.max_quantity:
        raise ValidationError(
            {
                "quantity": _("Enter a quantity from %(min)s to %(max)s for %(offer)s.")
                % {"min": low, "max": offer.max_quantity, "offer": offer.name}
            }
        )


def _record(
    subscription: Subscription,
    *,
    type: str,
    membership: Membership | None,
    details: dict[str, Any] | None = None,
) -> SubscriptionEvent:
    """The transition's history row, audit events (customer, reseller, provider) and emails. A
    delegated actor is recorded with the partner it acts for (`delegated_by`)."""
    details = details or {}
    delegated = bool(membership and membership.is_delegated)
    actor = membership.acting_user if membership else None
    actor_org = None
    if membership is not None:
        actor_org = membership.delegated_by if delegated else membership.organization
    event = SubscriptionEvent.objects.create(
        subscription=subscription,
        type=type,
        actor=actor,
        actor_organization=actor_org,
        delegated=delegated,
        details=details,
    )
    subscription_changed(subscription, event)
    audit_record_for(
        type=_AUDIT_TYPES[EventType(type)],
        organizations=[subscription.customer, subscription.reseller, subscription.provider],
        actor=actor,
        actor_organization=actor_org,
        subscription=subscription.pk,
        delegated=delegated,
        **details,
    )
    emails.send_subscription_changed(subscription, event)
    return event


# --- ordering -------------------------------------------------------------------------------


def order_place(
    *,
    actor: User,
    organization: Organization,
    customer_id: int,
    offer_id: int,
    quantity: int,
    term: str,
    billing_frequency: str,
    provider_id: int | None = None,
) -> Subscription:
    """A provider orders for a customer a reseller shares with it; a reseller orders for one of
    its customers through one of its authorized providers (`provider_id`), who bills it. The
    orders rule is `relationships.services.orders.order_customer_relationship`. The price is the
    offer's in the customer's market currency. Returns the new subscription."""
    membership = require_member(actor=actor, organization=organization, action=Action.PLACE_ORDER)
    if term not in Term.values:
        raise ValidationError({"term": _("Choose a monthly or an annual term.")})
    if billing_frequency not in BillingFrequency.values:
        raise ValidationError({"billing_frequency": _("Choose monthly or annual billing.")})
    if quantity < 1:
        raise ValidationError({"quantity": _("Enter a quantity of at least 1.")})
    with transaction.atomic():
        shared = order_customer_relationship(
            organization=membership.organization, customer_id=customer_id, provider_id=provider_id
        )
        customer = shared.customer
        market = customer.country
        currency = order_currency(customer)
        offer = Offer.objects.filter(pk=offer_id).first()
        if offer is None or not offer.is_active:
            raise ValidationError({"offer": _("This offer is not on sale.")})
        if market is None or currency is None:
            raise ValidationError(
                _("%(customer)s has no country in its account, so it has no currency to buy in.")
                % {"customer": customer.legal_name}
            )
        price = OfferPrice.objects.filter(offer=offer, currency=currency).first()
        if price is None:
            raise ValidationError(
                {
                    "offer": _("%(offer)s is not sold in %(market)s (no price in %(currency)s).")
                    % {
                        "offer": offer.name,
                        "market": market.display_name,
                        "currency": currency,
                    }
                }
            )
        _check_quantity(offer, quantity)
        now = timezone.now()
        prices = tier_prices(
            offer=offer,
            currency=currency,
            term=term,
            provider=shared.provider,
            reseller=shared.reseller,
            customer=customer,
            at=now,
            catalogue=price,
        )
        assert prices is not None
        unit_price = prices.cost
        subscription = subscription_new(
            offer=offer,
            customer=customer,
            reseller=shared.reseller,
            provider=shared.provider,
            status=Status.ACTIVE,
            quantity=quantity,
            term=term,
            billing_frequency=billing_frequency,
            currency=currency,
            unit_price=unit_price,
            reseller_price=prices.reseller,
            customer_price=prices.customer,
            auto_renew=True,
            purchased_at=now,
            created_by=membership.acting_user,
        )
        subscription.save()
        Order.objects.create(
            subscription=subscription,
            offer=offer,
            customer=customer,
            reseller=shared.reseller,
            provider=shared.provider,
            quantity=quantity,
            term=term,
            billing_frequency=billing_frequency,
            currency=currency,
            unit_price=unit_price,
            reseller_price=subscription.reseller_price,
            customer_price=subscription.customer_price,
            placed_by=membership.acting_user,
            placed_by_organization=membership.organization,
            placed_at=now,
        )
        billing_totals_add(subscription)
        _record(
            subscription,
            type=EventType.ORDERED,
            membership=membership,
            details={"quantity": quantity, "term": term, "offer": offer.code},
        )
    return subscription


# --- changes by the parties -----------------------------------------------------------------


def subscription_parties(organization: Organization) -> Q:
    """The subscriptions `organization` takes part in (as provider, reseller or customer)."""
    return Q(customer=organization) | Q(reseller=organization) | Q(provider=organization)


def _locked(
    *, actor: User, organization: Organization, subscription_id: int, action: Action
) -> tuple[Membership, Subscription]:
    """The acting membership (allowed `action`) and the subscription, locked, when the acting
    organization is one of its three parties (else `Subscription.DoesNotExist`)."""
    membership = require_member(actor=actor, organization=organization, action=action)
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("offer", "customer", "reseller", "provider")
        .filter(subscription_parties(membership.organization), pk=subscription_id)
        .first()
    )
    if subscription is None:
        raise Subscription.DoesNotExist
    return membership, subscription


def _require_status(subscription: Subscription, allowed: set[str]) -> None:
    if subscription.status not in allowed:
        raise ValidationError(
            _("This subscription is %(status)s: it cannot be changed.")
            % {"status": subscription.get_status_display().lower()}
        )


def _require_window(subscription: Subscription, what: str) -> None:
    if not subscription.in_change_window:
        raise ValidationError(
            _(
                "%(what)s only within 7 days (168 hours) of purchase or renewal; the window for "
                "this term closed on %(date)s."
            )
            % {"what": what, "date": _date(subscription.change_window_ends_at)}
        )


def subscription_quantity_change(
    *, actor: User, organization: Organization, subscription_id: int, quantity: int
) -> Subscription:
    """Raise the quantity at any time; reduce it only within the change window."""
    with transaction.atomic():
        membership, subscription = _locked(
            actor=actor,
            organization=organization,
            subscription_id=subscription_id,
            action=Action.CHANGE_SUBSCRIPTION_QUANTITY,
        )
        _require_status(subscription, {Status.ACTIVE})
        if quantity == subscription.quantity:
            raise ValidationError({"quantity": _("The subscription already has this quantity.")})
        _check_quantity(subscription.offer, quantity)
        if quantity < subscription.quantity:
            _require_window(subscription, _("The quantity can be reduced"))
        old_quantity, before = subscription.quantity, monthly_amounts(subscription)
        subscription.quantity = quantity
        subscription.monthly_cost = subscription.unit_price * quantity
        subscription.save(update_fields=["quantity", "monthly_cost"])
        billing_totals_apply(
            subscription=subscription,
            amounts=monthly_amounts(subscription) - before,
            count_delta=0,
        )
        _record(
            subscription,
            type=EventType.QUANTITY_CHANGED,
            membership=membership,
            details={"from": old_quantity, "to": quantity},
        )
    return subscription


def subscription_auto_renew_set(
    *, actor: User, organization: Organization, subscription_id: int, auto_renew: bool
) -> Subscription:
    with transaction.atomic():
        membership, subscription = _locked(
            actor=actor,
            organization=organization,
            subscription_id=subscription_id,
            action=Action.MANAGE_SUBSCRIPTION,
        )
        _require_status(subscription, set(LIVE_STATUSES))
        if subscription.auto_renew == auto_renew:
            return subscription
        subscription.auto_renew = auto_renew
        subscription.save(update_fields=["auto_renew"])
        _record(
            subscription,
            type=EventType.AUTO_RENEW_CHANGED,
            membership=membership,
            details={"auto_renew": auto_renew},
        )
    return subscription


def _end(subscription: Subscription, status: str) -> None:
    """Cancelled or expired: no longer live, so its cost leaves the totals."""
    subscription.status = status
    subscription.ended_at = timezone.now()
    subscription.next_action_at = None
    subscription.save(update_fields=["status", "ended_at", "next_action_at"])
    billing_totals_add(subscription, -1)


def subscription_cancel(
    *, actor: User, organization: Organization, subscription_id: int
) -> Subscription:
    """Cancel, only within the change window."""
    with transaction.atomic():
        membership, subscription = _locked(
            actor=actor,
            organization=organization,
            subscription_id=subscription_id,
            action=Action.MANAGE_SUBSCRIPTION,
        )
        _require_status(subscription, set(LIVE_STATUSES))
        _require_window(subscription, _("A subscription can be cancelled"))
        _end(subscription, Status.CANCELLED)
        _record(subscription, type=EventType.CANCELLED, membership=membership)
    return subscription


def _provider_locked(
    *, actor: User, organization: Organization, subscription_id: int
) -> tuple[Membership, Subscription]:
    membership, subscription = _locked(
        actor=actor,
        organization=organization,
        subscription_id=subscription_id,
        action=Action.SUSPEND_SUBSCRIPTION,
    )
    if subscription.provider_id != membership.organization.pk:
        require(None, Action.SUSPEND_SUBSCRIPTION)  # only the subscription's provider
    return membership, subscription


def subscription_suspend(
    *, actor: User, organization: Organization, subscription_id: int
) -> Subscription:
    """The provider suspends (for example an unpaid invoice); the cost stays billed."""
    with transaction.atomic():
        membership, subscription = _provider_locked(
            actor=actor, organization=organization, subscription_id=subscription_id
        )
        _require_status(subscription, {Status.ACTIVE})
        subscription.status = Status.SUSPENDED
        subscription.save(update_fields=["status"])
        _record(subscription, type=EventType.SUSPENDED, membership=membership)
    return subscription


def subscription_reactivate(
    *, actor: User, organization: Organization, subscription_id: int
) -> Subscription:
    with transaction.atomic():
        membership, subscription = _provider_locked(
            actor=actor, organization=organization, subscription_id=subscription_id
        )
        if subscription.status != Status.SUSPENDED:
            raise ValidationError(_("Only a suspended subscription can be reactivated."))
        subscription.status = Status.ACTIVE
        subscription.save(update_fields=["status"])
        _record(subscription, type=EventType.REACTIVATED, membership=membership)
    return subscription


# --- the sweep at the term end ----------------------------------------------------------------


def _due_locked(subscription_id: int, now: datetime) -> Subscription | None:
    return (
        Subscription.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("offer", "customer", "reseller", "provider")
        .filter(pk=subscription_id, next_action_at__lte=now)
        .first()
    )


def subscription_renew(*, subscription_id: int, now: datetime | None = None) -> Subscription | None:
    """At the term end of an active subscription with auto-renew: a new term of the same length
    at the prices in force when it starts (`tier_prices` at the new term's start: the catalogue
    price and both price lists; the old prices if the offer has no price in its currency now),
    and the change window opens again for CHANGE_WINDOW. The new-commerce price lock: between
    renewals a subscription keeps the prices it was bought or renewed at, whatever the price
    lists say. None when the row is not due (or another worker has it)."""
    now = now or timezone.now()
    with transaction.atomic():
        subscription = _due_locked(subscription_id, now)
        if subscription is None:
            return None
        if subscription.status != Status.ACTIVE or not subscription.auto_renew:
            raise ValidationError(_("Only an active subscription with auto-renew renews."))
        before = monthly_amounts(subscription)
        subscription.term_start = subscription.term_end
        prices = tier_prices(
            offer=subscription.offer_id,
            currency=subscription.currency,
            term=subscription.term,
            provider=subscription.provider_id,
            reseller=subscription.reseller_id,
            customer=subscription.customer_id,
            at=subscription.term_start,
        )
        if prices is not None:
            subscription.unit_price, subscription.reseller_price, subscription.customer_price = (
                prices
            )
        subscription.monthly_cost = subscription.unit_price * subscription.quantity
        subscription.term_end = term_end_after(subscription.term_start, subscription.term)
        subscription.change_window_ends_at = now + CHANGE_WINDOW
        subscription.next_action_at = subscription.term_end
        subscription.save(
            update_fields=[
                "unit_price",
                "reseller_price",
                "customer_price",
                "monthly_cost",
                "term_start",
                "term_end",
                "change_window_ends_at",
                "next_action_at",
            ]
        )
        billing_totals_apply(
            subscription=subscription,
            amounts=monthly_amounts(subscription) - before,
            count_delta=0,
        )
        _record(
            subscription,
            type=EventType.RENEWED,
            membership=None,
            details={"term_end": subscription.term_end.isoformat()},
        )
    return subscription


def subscription_expire(
    *, subscription_id: int, now: datetime | None = None
) -> Subscription | None:
    """At the term end without auto-renew (or while suspended): expired, its cost off the
    totals. None when the row is not due (or another worker has it)."""
    now = now or timezone.now()
    with transaction.atomic():
        subscription = _due_locked(subscription_id, now)
        if subscription is None:
            return None
        _require_status(subscription, set(LIVE_STATUSES))
        _end(subscription, Status.EXPIRED)
        _record(subscription, type=EventType.EXPIRED, membership=None)
    return subscription


def subscriptions_sweep_due(*, batch_size: int = 200, max_batches: int = 50) -> int:
    """Beat: renew or expire the subscriptions whose term has ended. Due rows are claimed in
    batches (`skip_locked`, so two sweeps share the work); each is renewed or expired in its own
    transaction, so one failure stops nothing else. Returns how many changed."""
    now = timezone.now()
    done = 0
    failed: set[int] = set()
    turns = WriterTurns()
    for _batch in range(max_batches):
        with transaction.atomic():
            due = list(
                Subscription.objects.select_for_update(skip_locked=True)
                .filter(next_action_at__lte=now)
                .exclude(pk__in=failed)
                .order_by("next_action_at", "pk")
                .values_list("pk", "status", "auto_renew")[:batch_size]
            )
        if not due:
            break
        for pk, status, auto_renew in due:
            try:
                if status == Status.ACTIVE and auto_renew:
                    changed = subscription_renew(subscription_id=pk, now=now)
                else:
                    changed = subscription_expire(subscription_id=pk, now=now)
            except Exception:
                logger.exception("commerce sweep: subscription %s failed", pk)
                failed.add(pk)
                continue
            if changed is not None:
                done += 1
            else:
                failed.add(pk)  # taken by another worker: not ours this run
            turns.take()
    return done
