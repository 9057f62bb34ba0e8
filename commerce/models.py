"""What an authorization grants, in money: the operator's catalogue of offers with a price per
currency, the orders partners place for customers, the subscriptions those orders create, and
running billing totals that keep the Billing page's cost flat at any size.

Statuses and quantities change only in `commerce.services` (named transitions, each writing a
`SubscriptionEvent` and an audit event); the renewal and expiry dates are columns swept by beat."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.choices import ChoiceLabels
from portal.models import Organization

# New-commerce rule (DOMAIN.md): cancel or reduce only within 7 days (168 hours) of purchase or
# renewal. The one constant every door reads.
CHANGE_WINDOW = timedelta(hours=168)


# The seeded catalogue's units (commerce/catalogue.py), worded in the reader's language; a unit
# the operator types in the admin is shown as typed.
UNIT_LABELS: dict[str, Promise] = {
    "user": pgettext_lazy("catalogue unit", "user"),
    "mailbox": pgettext_lazy("catalogue unit", "mailbox"),
    "device": pgettext_lazy("catalogue unit", "device"),
    "room": pgettext_lazy("catalogue unit", "room"),
    "100 GB": pgettext_lazy("catalogue unit", "100 GB"),
    "100 instance hours": pgettext_lazy("catalogue unit", "100 instance hours"),
    "1 million calls": pgettext_lazy("catalogue unit", "1 million calls"),
    "100 vCPU hours": pgettext_lazy("catalogue unit", "100 vCPU hours"),
}


class Offer(models.Model):
    """An offer of the catalogue (the operator edits it in the admin). It is sold in a market
    when it has a price in that market's currency."""

    class Kind(models.TextChoices):
        SEAT = "seat", _("Seat-based")
        USAGE = "usage", _("Usage-based")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), max_length=600, blank=True)
    kind = models.CharField(_("pricing"), max_length=8, choices=Kind.choices)
    # What one unit of quantity is: "user", "10 GB of storage", "1,000 API calls".
    unit = models.CharField(_("unit"), max_length=40)
    min_quantity = models.PositiveIntegerField(_("minimum quantity"), default=1)
    max_quantity = models.PositiveIntegerField(_("maximum quantity"), default=10000)
    is_active = models.BooleanField(
        _("on sale"), default=True, help_text=_("Only offers on sale can be ordered.")
    )

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")

    def __str__(self) -> str:
        return self.name

    @property
    def unit_label(self) -> str | Promise:
        """What one unit is, in the reader's language."""
        return UNIT_LABELS.get(self.unit, self.unit)


class OfferPrice(models.Model):
    """An offer's unit price per month in one currency, for each term length (an annual term
    costs less per month)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(_("currency"), max_length=3)
    monthly_term_price = models.DecimalField(
        _("unit price per month, monthly term"), max_digits=12, decimal_places=2
    )
    annual_term_price = models.DecimalField(
        _("unit price per month, annual term"), max_digits=12, decimal_places=2
    )

    class Meta:
        ordering = ["offer", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "currency"], name="offerprice_one_per_currency"
            ),
            models.CheckConstraint(
                condition=Q(monthly_term_price__gte=0) & Q(annual_term_price__gte=0),
                name="offerprice_not_negative",
            ),
        ]
        verbose_name = _("price")
        verbose_name_plural = _("prices")

    def __str__(self) -> str:
        return f"{self.offer} ({self.currency})"


class Term(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


class BillingFrequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


class Subscription(ChoiceLabels, models.Model):
    """A customer's subscription to an offer, bought through a reseller and its provider (who
    bills the reseller). `unit_price` is the price per unit per month fixed at purchase (or at
    the last renewal); `monthly_cost` is kept equal to `unit_price * quantity` by the services."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="subscriptions")
    # db_index=False (customer, reseller, provider): the sub_* indexes below lead with each.
    customer = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="subscriptions", db_index=False
    )
    reseller = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    provider = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    term = models.CharField(_("term"), max_length=8, choices=Term.choices)
    billing_frequency = models.CharField(
        _("billing"), max_length=8, choices=BillingFrequency.choices
    )
    currency = models.CharField(_("currency"), max_length=3)
    unit_price = models.DecimalField(_("unit price per month"), max_digits=12, decimal_places=2)
    # The price at each tier, locked for the term like `unit_price` (the catalogue price: what
    # the provider pays): what the reseller pays the provider and what the customer pays the
    # reseller, per unit per month. Each party sees only its own buy and sell prices.
    reseller_price = models.DecimalField(
        _("reseller price per unit per month"), max_digits=12, decimal_places=2
    )
    customer_price = models.DecimalField(
        _("customer price per unit per month"), max_digits=12, decimal_places=2
    )
    monthly_cost = models.DecimalField(_("monthly cost"), max_digits=14, decimal_places=2)
    auto_renew = models.BooleanField(_("auto-renew"), default=True)
    purchased_at = models.DateTimeField(_("purchased"), default=timezone.now)
    term_start = models.DateTimeField(_("term start"))
    term_end = models.DateTimeField(_("term end"))
    # Until when the quantity may go down or the subscription be cancelled (CHANGE_WINDOW after
    # purchase or the last renewal).
    change_window_ends_at = models.DateTimeField(_("changes allowed until"))
    # When the beat sweep next looks at it (the term end while active or suspended), else null.
    next_action_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # The customer's legal name, copied onto the row so that a partner's Subscriptions search
    # tests each of its own rows without a join and without a look-up among every organization.
    # The database keeps it equal to the customer's (triggers of migration 0008, on insert, on
    # any write of the column or the customer and on the customer's rename).
    customer_name = models.CharField(max_length=200, editable=False, default="", db_default="")

    class Meta:
        ordering = ["-purchased_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="subscription_quantity_min"),
        ]
        indexes = [
            # Each side's list, newest first (keyset pagination on purchased_at, id).
            models.Index(fields=["provider", "-purchased_at", "-id"], name="sub_provider_recent"),
            models.Index(fields=["reseller", "-purchased_at", "-id"], name="sub_reseller_recent"),
            models.Index(fields=["customer", "-purchased_at", "-id"], name="sub_customer_recent"),
            # The partners' lists filtered by status (Subscriptions, Billing) or by currency
            # (Billing, its CSV export): a rare status or currency is a range of its own index,
            # not a walk through every subscription of the partner.
            models.Index(
                fields=["provider", "status", "-purchased_at", "-id"], name="sub_provider_status"
            ),
            models.Index(
                fields=["reseller", "status", "-purchased_at", "-id"], name="sub_reseller_status"
            ),
            models.Index(
                fields=["provider", "currency", "-purchased_at", "-id"],
                name="sub_provider_currency",
            ),
            models.Index(
                fields=["reseller", "currency", "-purchased_at", "-id"],
                name="sub_reseller_currency",
            ),
            # The beat sweep: what is due.
            models.Index(
                fields=["next_action_at"],
                condition=Q(next_action_at__isnull=False),
                name="sub_due",
            ),
        ]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return f"{self.quantity} x {self.offer} for {self.customer}"

    @property
    def in_change_window(self) -> bool:
        return timezone.now() <= self.change_window_ends_at

    @property
    def is_live(self) -> bool:
        """Active or suspended: billed, with a term, a change window and auto-renew. A cancelled
        or expired subscription shows only how it ended."""
        return self.status in (self.Status.ACTIVE, self.Status.SUSPENDED)


class Order(ChoiceLabels, models.Model):
    """An order as placed: what was bought, by whom, at what price. It created `subscription`."""

    subscription = models.OneToOneField(
        Subscription, on_delete=models.CASCADE, related_name="order"
    )
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    reseller = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    term = models.CharField(_("term"), max_length=8, choices=Term.choices)
    billing_frequency = models.CharField(
        _("billing"), max_length=8, choices=BillingFrequency.choices
    )
    currency = models.CharField(_("currency"), max_length=3)
    unit_price = models.DecimalField(_("unit price per month"), max_digits=12, decimal_places=2)
    reseller_price = models.DecimalField(
        _("reseller price per unit per month"), max_digits=12, decimal_places=2
    )
    customer_price = models.DecimalField(
        _("customer price per unit per month"), max_digits=12, decimal_places=2
    )
    # Null for an order an API client placed (its audit event names the client).
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    placed_by_organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+"
    )
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return f"{self.quantity} x {self.offer} for {self.customer}"


class SubscriptionEvent(ChoiceLabels, models.Model):
    """Append-only history of a subscription, shown on its page to every side."""

    class Type(models.TextChoices):
        ORDERED = "ordered", _("Ordered")
        QUANTITY_CHANGED = "quantity_changed", _("Quantity changed")
        AUTO_RENEW_CHANGED = "auto_renew_changed", _("Auto-renew changed")
        CANCELLED = "cancelled", _("Cancelled")
        SUSPENDED = "suspended", _("Suspended")
        REACTIVATED = "reactivated", _("Reactivated")
        RENEWED = "renewed", _("Renewed")
        EXPIRED = "expired", _("Expired")

    # db_index=False: subevent_newest leads with it.
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    type = models.CharField(max_length=24, choices=Type.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # True when the actor acted in the customer's account through delegated admin.
    delegated = models.BooleanField(default=False)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["subscription", "-created_at", "-id"], name="subevent_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.subscription_id})"


class BillingTotal(models.Model):
    """Running totals of one organization's live (active or suspended) subscriptions in one
    currency, and per customer (`customer` set) for the per-customer table. The services update
    them in the same transaction as the subscription, so the Billing page reads a few rows
    instead of summing every subscription."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3)
    subscriptions = models.IntegerField(_("subscriptions"), default=0)
    monthly_cost = models.DecimalField(
        _("monthly cost"), max_digits=16, decimal_places=2, default=Decimal("0")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "currency"],
                condition=Q(customer__isnull=True),
                name="billingtotal_org_currency",
            ),
            models.UniqueConstraint(
                fields=["organization", "customer", "currency"],
                condition=Q(customer__isnull=False),
                name="billingtotal_org_customer_currency",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "customer", "currency"], name="billingtotal_page"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.customer_id}: {self.monthly_cost} {self.currency}"


class PriceRule(models.Model):
    """A seller's price for an offer in one currency, from a date: the provider's price to its
    resellers (over the catalogue price, its cost) or a reseller's price to its customers (over
    what it buys at). `buyer` empty: the default for all the seller's resellers or customers; set:
    an override for that one. A markup is a percentage over the seller's buy price; a fixed price
    is a unit price per month for either term. The rule in force at a time is, per scope, the one
    with the latest `effective_from` not after it (`commerce.pricing.tier_prices`); rules are
    never edited, a new one with a later date replaces them."""

    class Kind(models.TextChoices):
        MARKUP = "markup", _("Markup over the buy price (%)")
        FIXED = "fixed", _("Fixed price per unit per month")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="price_rules"
    )
    buyer = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(_("currency"), max_length=3)
    kind = models.CharField(_("price"), max_length=8, choices=Kind.choices)
    markup_percent = models.DecimalField(
        _("markup (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    fixed_price = models.DecimalField(
        _("fixed price per unit per month"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    effective_from = models.DateField(_("effective from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-effective_from", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "offer", "currency", "effective_from"],
                condition=Q(buyer__isnull=True),
                name="pricerule_one_default_per_day",
            ),
            models.UniqueConstraint(
                fields=["organization", "buyer", "offer", "currency", "effective_from"],
                condition=Q(buyer__isnull=False),
                name="pricerule_one_override_per_day",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="markup", markup_percent__isnull=False, fixed_price__isnull=True)
                    | Q(kind="fixed", fixed_price__gte=0, markup_percent__isnull=True)
                ),
                name="pricerule_one_value",
            ),
        ]
        indexes = [
            # Resolution: the seller's rules for an offer and currency, newest first.
            models.Index(
                fields=["organization", "offer", "currency", "-effective_from"],
                name="pricerule_resolve",
            ),
            # The Price lists page, newest first.
            models.Index(fields=["organization", "-created_at", "-id"], name="pricerule_page"),
        ]
        verbose_name = _("price rule")
        verbose_name_plural = _("price rules")

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.buyer_id or '*'}: {self.offer_id} {self.currency}"
