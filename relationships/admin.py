from django.contrib import admin

from .models import (
    CustomerInvitation,
    CustomerRelationship,
    ProviderProfile,
    ProviderRelationship,
    RelationshipEvent,
    ResellerInvitation,
)


@admin.register(ProviderProfile)
class ProviderProfileAdmin(admin.ModelAdmin):
    """The operator sets each provider's CSP regions here."""

    list_display = ["organization", "contact_email", "website"]
    search_fields = ["organization__legal_name", "contact_email"]
    filter_horizontal = ["regions"]
    list_select_related = ["organization"]


@admin.register(ResellerInvitation)
class ResellerInvitationAdmin(admin.ModelAdmin):
    list_display = ["organization", "email", "status", "expires_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["organization__legal_name", "email"]
    readonly_fields = [f.name for f in ResellerInvitation._meta.fields]
    list_select_related = ["organization"]


class RelationshipEventInline(admin.TabularInline):
    model = RelationshipEvent
    extra = 0
    can_delete = False
    readonly_fields = ["type", "actor", "actor_organization", "details", "created_at"]


@admin.register(ProviderRelationship)
class ProviderRelationshipAdmin(admin.ModelAdmin):
    """Read-only: relationships change only through the partners' own pages (services)."""

    list_display = ["provider", "reseller", "status", "admin_access", "authorized_at", "ended_at"]
    list_filter = ["status", "admin_access"]
    search_fields = ["provider__legal_name", "reseller__legal_name"]
    readonly_fields = [f.name for f in ProviderRelationship._meta.fields]
    inlines = [RelationshipEventInline]
    list_select_related = ["provider", "reseller"]


@admin.register(CustomerInvitation)
class CustomerInvitationAdmin(admin.ModelAdmin):
    list_display = ["organization", "provider", "email", "company_name", "status", "expires_at"]
    list_filter = ["status"]
    search_fields = ["organization__legal_name", "email", "company_name"]
    readonly_fields = [f.name for f in CustomerInvitation._meta.fields]
    list_select_related = ["organization", "provider"]


@admin.register(CustomerRelationship)
class CustomerRelationshipAdmin(admin.ModelAdmin):
    list_display = ["customer", "reseller", "provider", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["customer__legal_name", "reseller__legal_name", "provider__legal_name"]
    readonly_fields = [f.name for f in CustomerRelationship._meta.fields]
    list_select_related = ["customer", "reseller", "provider"]
