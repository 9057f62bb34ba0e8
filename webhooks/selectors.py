"""Reads of webhooks: an organization's endpoints and one endpoint's delivery log."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.audit import event_label, event_type_registered
from portal.models import Organization

from .events import SUBSCRIBABLE
from .models import WebhookDelivery, WebhookEndpoint


def subscribable_choices() -> list[tuple[str, str]]:
    """The events an endpoint may receive, as (code, translated label), in catalogue order."""
    return [(code, event_label(code)) for code in SUBSCRIBABLE if event_type_registered(code)]


def webhook_endpoints_of(*, organization: Organization) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(organization=organization).order_by("pk")


def webhook_deliveries_of(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """Newest first; the log's columns only (never the payload: it may be large)."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .order_by("-created_at", "-pk")
        .only(
            "pk",
            "endpoint_id",
            "webhook_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "latency_ms",
            "response_excerpt",
            "created_at",
            "sent_at",
        )
    )
