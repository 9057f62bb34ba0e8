"""Money per tier. Two tiers bill each other for every subscription:

- the provider bills the reseller at `Subscription.reseller_price` (tier PROVIDER);
- the reseller bills the customer at `Subscription.customer_price` (tier RESELLER).

A `Charge` is one immutable line of money at one tier (a purchase, a prorated quantity change,
a credit, a renewal, a month of a monthly-billed term, a day of rated usage). The monthly close
gathers a period's uninvoiced charges into one `Invoice` per seller, buyer, currency and period,
numbered without gaps per seller and year (`InvoiceSequence`). `BillingPeriod` is the close's
lock and record: one period closes at a time, and a closed period is never closed again."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commerce.models import Offer, Subscription
from portal.choices import ChoiceLabels
from portal.models import CsvUpload, Organization


class Tier(models.TextChoices):
    PROVIDER = "provider", _("Provider to reseller")
    RESELLER = "reseller", _("Reseller to customer")


class Charge(ChoiceLabels, models.Model):
    """One line of money: `seller` bills `buyer` `amount` (negative for a credit) in `currency`
    for `quantity` units at `unit_price` over `service_start`..`service_end`. Written once by
    the services, never updated except to be attached to its invoice at the close."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("Purchase")
        QUANTITY_INCREASE = "quantity_increase", _("Quantity increase")
        QUANTITY_DECREASE = "quantity_decrease", _("Quantity decrease")
        CANCELLATION = "cancellation", _("Cancellation")
        RENEWAL = "renewal", _("Renewal")
        RECURRING = "recurring", _("Monthly charge")
        USAGE = "usage", _("Usage")

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(_("tier"), max_length=8, choices=Tier.choices)
    # The close writes every index of each line it attaches to its invoice (millions at a
    # distributor's month), so Charge has only the indexes its readers use: none of its own for
    # seller, buyer, customer and offer (charge_unbilled, charge_unbilled_pair and charge_buyer
    # serve the pages and the close; only deleting an organization or an offer, which no
    # flow does, would scan).
    seller = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    buyer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The customer whose subscription it is (the buyer at the reseller tier).
    customer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(_("charge type"), max_length=20, choices=Kind.choices)
    currency = models.CharField(_("currency"), max_length=3)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    # The days of service charged (inclusive dates), and the day the charge belongs to: its
    # billing period is that day's month.
    service_start = models.DateField(_("service from"))
    service_end = models.DateField(_("service to"))
    charge_date = models.DateField(_("charge date"))
    # What caused it, so a retried writer adds nothing: the subscription event or the usage
    # record (a unique key per tier).
    source = models.CharField(max_length=64)
    # Indexed by charge_invoice (invoice, id) only.
    invoice = models.ForeignKey(
        "Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charges",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["charge_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "tier"], name="charge_once_per_source"),
        ]
        indexes = [
            # The close and the unbilled file: a seller's uninvoiced charges by day.
            models.Index(
                fields=["seller", "currency", "charge_date", "id"],
                condition=Q(invoice__isnull=True),
                name="charge_unbilled",
            ),
            # The close: one seller-buyer pair's uninvoiced charges, attached to its invoice.
            models.Index(
                fields=["seller", "buyer", "currency", "charge_date"],
                condition=Q(invoice__isnull=True),
                name="charge_unbilled_pair",
            ),
            models.Index(fields=["buyer", "charge_date", "id"], name="charge_buyer"),
            models.Index(fields=["invoice", "id"], name="charge_invoice"),
        ]
        verbose_name = _("charge")
        verbose_name_plural = _("charges")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"


class UsageRecord(models.Model):
    """A day of usage of a usage-based subscription, imported by its provider; rated into one
    `Charge` per tier at the subscription's tier prices."""

    # db_index=False: usage_one_per_day's unique index leads with it.
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    usage_date = models.DateField(_("usage date"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["usage_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "usage_date"], name="usage_one_per_day"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="usage_not_negative"),
        ]
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.usage_date}: {self.quantity}"


class BillingPeriod(models.Model):
    """A calendar month being closed or closed (the close's lock: its row is locked while the
    close runs; CLOSED is final)."""

    class Status(models.TextChoices):
        CLOSING = "closing", _("Closing")
        CLOSED = "closed", _("Closed")

    period = models.DateField(_("period"), unique=True)  # the first day of the month
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.CLOSING)
    started_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    invoices = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period"]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} ({self.status})"


class InvoiceSequence(models.Model):
    """The last invoice number a seller issued in a year: locked and raised in the transaction
    that issues the invoice, so numbers have no gaps."""

    seller = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["seller", "year"], name="invoice_sequence_once"),
        ]

    def __str__(self) -> str:
        return f"{self.seller_id}/{self.year}: {self.last_number}"


class Invoice(ChoiceLabels, models.Model):
    """One seller's invoice to one buyer for one currency and month."""

    # db_index=False: invoice_seller_recent and invoice_buyer_recent lead with them.
    seller = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    buyer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    tier = models.CharField(_("tier"), max_length=8, choices=Tier.choices)
    currency = models.CharField(_("currency"), max_length=3)
    period = models.DateField(_("period"))  # the first day of the month billed
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("invoice number"), max_length=40)
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    # The buyer's language when issued (its PDF and email).
    language = models.CharField(max_length=8, default="en")
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)

    class Meta:
        ordering = ["-period", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["seller", "buyer", "currency", "period"], name="invoice_once_per_period"
            ),
            models.UniqueConstraint(fields=["seller", "year", "sequence"], name="invoice_gapless"),
        ]
        indexes = [
            # Each side's list, newest first (keyset pagination on issued_at, id).
            models.Index(fields=["seller", "-issued_at", "-id"], name="invoice_seller_recent"),
            models.Index(fields=["buyer", "-issued_at", "-id"], name="invoice_buyer_recent"),
            # The months a party issued or received in (the list's period filter).
            models.Index(fields=["seller", "period"], name="invoice_seller_period"),
            models.Index(fields=["buyer", "period"], name="invoice_buyer_period"),
        ]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self) -> str:
        return self.number


class UsageImport(CsvUpload):
    """One usage file a provider uploaded (`/billing/usage/`): its rows are checked on upload and
    stored; a task imports them through `services.usage_import` in batches (one transaction
    each, moving the counters), so the progress page shows where it is after a reload and a
    rerun imports only the rows still waiting."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Finished")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    imported = models.PositiveIntegerField(default=0)
    replaced = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)  # refused by the import's rules
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="usage_import_org"),
        ]
        verbose_name = _("usage import")
        verbose_name_plural = _("usage imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.organization_id})"

    @property
    def to_import(self) -> int:
        return self.valid_rows

    @property
    def not_imported(self) -> int:
        return self.invalid_rows + self.refused


class UsageImportRow(models.Model):
    """One data row of an uploaded usage file and what became of it."""

    class Status(models.TextChoices):
        INVALID = "invalid", _("Not imported: error in the file")
        WAITING = "waiting", _("Waiting")
        IMPORTED = "imported", _("Imported")
        REFUSED = "refused", _("Not imported")

    usage_import = models.ForeignKey(UsageImport, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(_("row"))  # the file's line number, header = 1
    # As written in the file (shown back on the result page whatever it holds).
    subscription_ref = models.CharField(_("subscription"), max_length=64, blank=True)
    usage_date_text = models.CharField(_("usage date"), max_length=32, blank=True)
    quantity_text = models.CharField(_("quantity"), max_length=32, blank=True)
    # As read (set when the row is valid).
    subscription_id = models.BigIntegerField(null=True, blank=True)
    usage_date = models.DateField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    status = models.CharField(_("result"), max_length=8, choices=Status.choices)
    message = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["line"]
        constraints = [
            models.UniqueConstraint(fields=["usage_import", "line"], name="usage_row_once")
        ]
        indexes = [models.Index(fields=["usage_import", "status", "line"], name="usage_row_status")]

    def __str__(self) -> str:
        return f"{self.usage_import_id}:{self.line}"
