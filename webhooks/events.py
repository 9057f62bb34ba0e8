"""Audit event types of webhooks (registered with `portal.audit` in `WebhooksConfig.ready()`).
The codes are stored: never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditType(models.TextChoices):
    ENDPOINT_CREATED = "webhooks.endpoint.created", _("Webhook endpoint added")
    ENDPOINT_DELETED = "webhooks.endpoint.deleted", _("Webhook endpoint deleted")
    ENDPOINT_DISABLED = "webhooks.endpoint.disabled", _("Webhook endpoint disabled")
    ENDPOINT_ENABLED = "webhooks.endpoint.enabled", _("Webhook endpoint enabled again")
    SECRET_ROTATED = "webhooks.secret.rotated", _("Webhook signing secret rotated")
    TEST_SENT = "webhooks.test.sent", _("Webhook test event sent")


# The test event: not an audit type (nothing happened), delivered through the same path.
TEST_EVENT_TYPE = "webhook.test"

# The audit types an endpoint may subscribe to: what an integration (a PSA, a billing tool)
# acts on. Codes of the other apps' events.py, named here as strings so that webhooks imports
# no feature app; `subscribable_choices()` keeps those the catalogue knows.
SUBSCRIBABLE = (
    "commerce.order.placed",
    "commerce.subscription.quantity_changed",
    "commerce.subscription.auto_renew_changed",
    "commerce.subscription.cancelled",
    "commerce.subscription.suspended",
    "commerce.subscription.reactivated",
    "commerce.subscription.renewed",
    "commerce.subscription.expired",
    "relationships.customer.accepted",
    "relationships.customer_invitation.declined",
    "relationships.provider.authorized",
    "relationships.reseller_invitation.declined",
    "relationships.provider.ended",
    "verification.approved",
    "verification.rejected",
    "verification.info_requested",
    "verification.expired",
    "delegation.gdap.approved",
    "delegation.gdap.declined",
    "delegation.gdap.ended",
)
