from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import (
    AuditEvent,
    ConsumerEmailDomain,
    Market,
    Membership,
    Notification,
    Organization,
    OutboxMessage,
    Region,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal", {"fields": ["first_name", "last_name", "language"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "kind", "status", "country", "primary_domain"]
    list_filter = ["kind", "status"]
    search_fields = ["legal_name", "primary_domain"]
    inlines = [MembershipInline]
    list_select_related = ["country"]


class MarketInline(admin.TabularInline):
    model = Market
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    inlines = [MarketInline]


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "currency"]
    list_filter = ["region"]
    search_fields = ["code", "name"]


admin.site.register(ConsumerEmailDomain)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "type", "organization", "actor"]
    list_filter = ["type"]
    raw_id_fields = ["organization", "actor"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # append-only


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to_email", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["to_email", "subject"]


admin.site.register(Notification)
