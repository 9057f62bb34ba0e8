"""Audit event types of commerce (registered with `portal.audit` in `CommerceConfig.ready()`).
The codes are stored: never rename one."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditType(models.TextChoices):
    ORDER_PLACED = "commerce.order.placed", _("Subscription ordered")
    QUANTITY_CHANGED = "commerce.subscription.quantity_changed", _("Subscription quantity changed")
    AUTO_RENEW_CHANGED = "commerce.subscription.auto_renew_changed", _("Auto-renew changed")
    CANCELLED = "commerce.subscription.cancelled", _("Subscription cancelled")
    SUSPENDED = "commerce.subscription.suspended", _("Subscription suspended")
    REACTIVATED = "commerce.subscription.reactivated", _("Subscription reactivated")
    RENEWED = "commerce.subscription.renewed", _("Subscription renewed")
    EXPIRED = "commerce.subscription.expired", _("Subscription expired")
    PRICE_RULE_ADDED = "commerce.price_rule.added", _("Price list rule added")
