from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

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


class MembershipFormSet(BaseInlineFormSet):
    """The operator's door to an organization's members keeps its last Global admin: nobody
    outside the organization demotes or removes it (its own admins go through
    enrollment.services.members, which refuses the same)."""

    def clean(self) -> None:
        super().clean()
        organization = self.instance
        if organization.pk is None:
            return
        if not Membership.objects.filter(organization=organization, global_admin=True).exists():
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
        ]
        if not any(data.get("global_admin") for data in kept):
            raise ValidationError(
                "Keep at least one Global admin: this is the organization's last one. Make "
                "someone else Global admin first."
            )


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
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
