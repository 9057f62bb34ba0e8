"""Reads of commerce. A subscription is visible to its provider, reseller and customer (and to a
partner acting in the customer's account: its membership is the customer's)."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.models import Organization

from .models import OfferPrice, Subscription, SubscriptionEvent
from .services import subscription_parties


def prices_in(currency: str) -> QuerySet[OfferPrice]:
    """The offers on sale in a currency, with their price there (one query)."""
    return (
        OfferPrice.objects.filter(currency=currency, offer__is_active=True)
        .select_related("offer")
        .order_by("offer__name", "offer__pk")
    )


def subscription_for(*, organization: Organization, pk: int) -> Subscription | None:
    return (
        Subscription.objects.filter(subscription_parties(organization), pk=pk)
        .select_related("offer", "customer", "customer__country", "reseller", "provider")
        .first()
    )


def subscription_history(*, subscription: Subscription) -> QuerySet[SubscriptionEvent]:
    return (
        SubscriptionEvent.objects.filter(subscription=subscription)
        .select_related("actor", "actor_organization")
        .order_by("-created_at", "-pk")
    )
