"""Operator screens: Partner Agreement versions and imported legacy membership accounts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.hashers import identify_hasher, make_password
from django.utils.translation import gettext_lazy as _

from .models import (
    AgreementAcceptance,
    AgreementTranslation,
    AgreementVersion,
    EnrollmentDraft,
    LegacyMembershipAccount,
    LegalProfile,
    PartnerId,
)


class LegacyMembershipAccountForm(forms.ModelForm):
    """Import an account with its old password (hashed here, never stored in clear) or with
    the password hash exported from the old system (Django hasher format)."""

    password = forms.CharField(
        label=_("Password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored as a hash. Leave empty to keep the current one."),
    )
    password_hash = forms.CharField(
        label=_("Password hash"),
        required=False,
        help_text=_("Instead of a password: a hash exported from the membership center."),
    )

    class Meta:
        model = LegacyMembershipAccount
        fields = ["mpn_id", "sign_in_name", "location_name", "country", "password_hash"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["password_hash"] = ""

    def clean_password_hash(self) -> str:
        value = self.cleaned_data.get("password_hash", "").strip()
        if value:
            try:
                identify_hasher(value)
            except ValueError as exc:
                raise forms.ValidationError(_("This is not a recognised password hash.")) from exc
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("password"):
            cleaned["password_hash"] = make_password(cleaned["password"])
        elif not cleaned.get("password_hash"):
            if self.instance.pk:
                cleaned["password_hash"] = self.instance.password_hash
            else:
                raise forms.ValidationError(_("Enter the password or its hash."))
        return cleaned


@admin.register(LegacyMembershipAccount)
class LegacyMembershipAccountAdmin(admin.ModelAdmin):
    form = LegacyMembershipAccountForm
    list_display = ["sign_in_name", "mpn_id", "country", "linked_organization", "linked_at"]
    search_fields = ["sign_in_name", "mpn_id"]
    list_filter = ["country"]
    readonly_fields = ["linked_organization", "linked_at"]


class AgreementTranslationInline(admin.StackedInline):
    model = AgreementTranslation
    extra = 0


@admin.register(AgreementVersion)
class AgreementVersionAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "published_at"]
    inlines = [AgreementTranslationInline]


@admin.register(AgreementAcceptance)
class AgreementAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["organization", "version", "first_name", "last_name", "accepted_at"]
    list_select_related = ["organization", "version"]
    readonly_fields = [f.name for f in AgreementAcceptance._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PartnerId)
class PartnerIdAdmin(admin.ModelAdmin):
    list_display = ["mpn_id", "kind", "organization", "country", "is_associated"]
    list_select_related = ["organization", "country"]
    search_fields = ["mpn_id", "organization__legal_name"]


@admin.register(LegalProfile)
class LegalProfileAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "country", "primary_contact_email", "submitted_at"]
    list_select_related = ["country"]
    search_fields = ["legal_name", "primary_contact_email"]


@admin.register(EnrollmentDraft)
class EnrollmentDraftAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "step", "updated_at"]
    list_select_related = ["user", "organization"]
    raw_id_fields = ["user", "organization"]
