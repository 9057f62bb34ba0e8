from django.contrib import admin

from .models import Offer, OfferPrice, Order, PriceRule, Subscription, SubscriptionEvent


class OfferPriceInline(admin.TabularInline):
    model = OfferPrice
    extra = 0
    fields = ["currency", "monthly_term_price", "annual_term_price"]


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    """The operator's catalogue: an offer is sold in a market when it has a price in that
    market's currency."""

    list_display = ["name", "code", "kind", "unit", "min_quantity", "max_quantity", "is_active"]
    list_filter = ["kind", "is_active", "prices__currency"]
    search_fields = ["name", "code", "description"]
    inlines = [OfferPriceInline]


class SubscriptionEventInline(admin.TabularInline):
    model = SubscriptionEvent
    extra = 0
    can_delete = False
    readonly_fields = ["type", "actor", "actor_organization", "delegated", "details", "created_at"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Read-only: subscriptions change only through the partners' pages (commerce.services)."""

    list_display = ["offer", "customer", "reseller", "provider", "status", "quantity", "term_end"]
    list_filter = ["status", "term", "currency"]
    search_fields = ["customer__legal_name", "reseller__legal_name", "offer__name"]
    readonly_fields = [f.name for f in Subscription._meta.fields]
    inlines = [SubscriptionEventInline]
    list_select_related = ["offer", "customer", "reseller", "provider"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["offer", "customer", "reseller", "provider", "quantity", "placed_at"]
    list_filter = ["term", "currency"]
    search_fields = ["customer__legal_name", "reseller__legal_name", "offer__name"]
    readonly_fields = [f.name for f in Order._meta.fields]
    list_select_related = ["offer", "customer", "reseller", "provider"]


@admin.register(PriceRule)
class PriceRuleAdmin(admin.ModelAdmin):
    """Read-only: a rule is added only on the seller's Price lists page, through
    `commerce.services_prices.price_rule_create` (the seller's member with the price-list role,
    its own buyers, a date from today, the audit event); the operator is no member of the seller,
    so the admin cannot go through it. Rules are never edited or deleted (a later one replaces
    one)."""

    list_display = [
        "organization",
        "buyer",
        "offer",
        "currency",
        "kind",
        "markup_percent",
        "fixed_price",
        "effective_from",
        "created_by",
    ]
    list_filter = ["kind", "currency"]
    search_fields = ["organization__legal_name", "buyer__legal_name", "offer__name", "offer__code"]
    list_select_related = ["organization", "buyer", "offer", "created_by"]
    readonly_fields = [f.name for f in PriceRule._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
