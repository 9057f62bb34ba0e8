"""Who hears about a subscription change: the Global admins and Billing admins of the customer and
of the reseller, each once per event (the outbox key names the event and the recipient), in the
recipient's language, with the recipient's own prices (`commerce.visibility`). Templates:
emails/commerce_subscription_changed*."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from portal.outbox import absolute_url, outbox_enqueue
from portal.selectors import email_language, global_admins
from portal.templatetags.portal_formats import local_date, money

from .models import Subscription, SubscriptionEvent
from .visibility import prices_seen_by


def send_subscription_changed(subscription: Subscription, event: SubscriptionEvent) -> None:
    actor_org = event.actor_organization
    url = absolute_url(reverse("commerce:subscription_detail", args=[subscription.pk]))
    seen: set[str] = set()
    for org in (subscription.customer, subscription.reseller):
        for user in global_admins(organization=org, billing_admins=True):
            if user.email in seen:
                continue
            seen.add(user.email)
            language = email_language(user=user, organization=org)
            with translation.override(language):
                # The page's own functions, so the email writes what the page shows.
                term_end = (
                    local_date(subscription.term_end)
                    if subscription.status in (Subscription.Status.ACTIVE,)
                    else ""
                )
                # Each recipient's own prices (`commerce.visibility`): the customer's admins
                # what the customer pays; the reseller's what it pays and charges.
                prices = prices_seen_by(subscription, org.pk)
                monthly_cost = money(prices.buy_monthly, subscription.currency)
                monthly_charged = (
                    money(prices.sell_monthly, subscription.currency)
                    if prices.sell_monthly is not None
                    else ""
                )
                unit = str(subscription.offer.unit_label)
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
                    "unit": unit,
                    "monthly_cost": monthly_cost,
                    "monthly_charged": monthly_charged,
                    "currency": subscription.currency,
                    "term_end": term_end,
                    "url": url,
                },
                language=language,
                organization=org,
            )
