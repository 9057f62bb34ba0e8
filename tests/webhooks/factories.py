from __future__ import annotations

from portal.models import Organization
from webhooks.models import WebhookEndpoint
from webhooks.services import webhook_secret_new

CANCELLED = "commerce.subscription.cancelled"
ORDER_PLACED = "commerce.order.placed"


def endpoint_for(
    organization: Organization,
    *,
    url: str = "http://127.0.0.1:9/hooks",
    event_types: list[str] | None = None,
    enabled: bool = True,
) -> WebhookEndpoint:
    """An endpoint written directly (the service refuses nothing the tests need here). Port 9
    (discard) on loopback: nothing listens there, so an accidental send fails at once."""
    return WebhookEndpoint.objects.create(
        organization=organization,
        url=url,
        event_types=event_types if event_types is not None else [CANCELLED],
        secret=webhook_secret_new(),
        enabled=enabled,
    )
