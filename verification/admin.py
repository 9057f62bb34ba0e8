"""Read-only views of verification data for the operator's staff. Statuses change only through
the named services (the review queue), never by editing a row here."""

from django.contrib import admin

from .models import CaseEvent, CheckResult, Document, VerificationCase


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = readonly_fields = (
        "created_at",
        "type",
        "from_status",
        "to_status",
        "actor",
        "details",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(VerificationCase)
class VerificationCaseAdmin(ReadOnlyAdmin):
    list_display = ["organization", "status", "assignee", "waiting_since", "next_action_at"]
    list_filter = ["status", "next_action"]
    search_fields = ["organization__legal_name", "organization__primary_domain"]
    list_select_related = ["organization", "assignee"]
    inlines = [CaseEventInline]


@admin.register(CheckResult)
class CheckResultAdmin(ReadOnlyAdmin):
    list_display = ["case", "name", "passed", "checked_at"]
    list_filter = ["name", "passed"]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["case", "document_type", "content_type", "size", "uploaded_at"]
    exclude = ["file"]  # downloaded from the review page, which checks the reviewer role
