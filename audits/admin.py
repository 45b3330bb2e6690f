"""The trail in the operators' admin: read-only (the database refuses changes anyway)."""

from django.contrib import admin

from itsm.admin import ReadOnlyAdmin

from .models import AuditAnchor, AuditEntry, Verification


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "occurred_at", "action", "username", "label", "address")
    list_filter = ("action",)
    search_fields = ("username", "label")
    list_select_related = ("content_type",)


@admin.register(AuditAnchor)
class AuditAnchorAdmin(ReadOnlyAdmin):
    list_display = ("day", "seq", "count", "hash", "recorded_at")


@admin.register(Verification)
class VerificationAdmin(ReadOnlyAdmin):
    list_display = ("ran_at", "ok", "checked", "anchors_checked", "broken_seq", "problem")
