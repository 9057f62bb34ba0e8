"""Who hears about a subscription change: the Global admins and Billing admins of the customer and
of the reseller, each once per event (the outbox key names the event and the recipient), in the
recipient's language. Templates: emails/commerce_subscription_changed*."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation

from portal.models import Membership, Organization
from portal.outbox import absolute_url, outbox_enqueue

from .models import Subscription, SubscriptionEvent


def subscription_recipients(organization: Organization) -> list[Membership]:
    return list(
        Membership.objects.filter(organization=organization, user__is_active=True)
        .filter(Q(global_admin=True) | Q(billing_admin=True))
        .select_related("user")
        .order_by("pk")
    )


def send_subscription_changed(subscription: Subscription, event: SubscriptionEvent) -> None:
    actor_org = event.actor_organization
    url = absolute_url(reverse("commerce:subscription_detail", args=[subscription.pk]))
    seen: set[str] = set()
    for org in (subscription.customer, subscription.reseller):
        for membership in subscription_recipients(org):
            user = membership.user
            if user.email in seen:
                continue
            seen.add(user.email)
            language = user.language or org.language or "en"
            with translation.override(language):
                term_end = (
                    formats.date_format(timezone.localtime(subscription.term_end), "DATE_FORMAT")
                    if subscription.status in (Subscription.Status.ACTIVE,)
                    else ""
                )
                monthly_cost = formats.number_format(subscription.monthly_cost, 2)
            outbox_enqueue(
                key=f"commerce:subscription:{event.pk}:{user.pk}",
                to=user.email,
                template="commerce_subscription_changed",
                context={
                    "event": event.type,
                    "offer_name": subscription.offer.name,
                    "customer_name": subscription.customer.legal_name,
                    "actor_name": actor_org.legal_name if actor_org else "",
                    "quantity": subscription.quantity,
                    "monthly_cost": monthly_cost,
                    "currency": subscription.currency,
                    "term_end": term_end,
                    "url": url,
                },
                language=language,
                organization=org,
            )
