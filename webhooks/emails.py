"""What webhook emails say and to whom (written to the email outbox)."""

from __future__ import annotations

from django.urls import reverse

from portal.outbox import absolute_url, outbox_enqueue
from portal.selectors import email_language, global_admins

from .models import WebhookEndpoint


def send_endpoint_disabled(endpoint: WebhookEndpoint) -> None:
    """The organization's Global admins hear that its endpoint stopped receiving events."""
    organization = endpoint.organization
    stamp = endpoint.disabled_at.isoformat() if endpoint.disabled_at else ""
    url = absolute_url(reverse("webhooks:deliveries", args=[endpoint.pk]))
    seen: set[str] = set()
    for user in global_admins(organization=organization):
        if user.email in seen:
            continue
        seen.add(user.email)
        outbox_enqueue(
            key=f"webhooks:endpoint-disabled:{endpoint.pk}:{stamp}:{user.pk}",
            to=user.email,
            template="webhooks_endpoint_disabled",
            context={
                "endpoint_url": endpoint.url,
                "failures": endpoint.consecutive_failures,
                "organization_name": organization.legal_name,
                "url": url,
            },
            language=email_language(user=user, organization=organization),
            organization=organization,
        )
