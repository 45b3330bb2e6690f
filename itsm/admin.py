"""Django admin for operators. Agents work in the product's own pages, not here.

Records and rows written by services are read-only here, so the admin never bypasses a rule.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiToken, Attachment, Customer, DomainEvent, OutboxMessage, Team, User


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Preferences"), {"fields": ("language", "time_zone", "phone")}),
    )
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff")


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("code", "name", "is_active")
    search_fields = ("code", "name")


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("name", "lead", "is_active")
    search_fields = ("name",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "key_prefix", "read_only", "created_at", "expires_at", "last_used_at",
                    "revoked_at")
    exclude = ("key_digest",)
    list_select_related = ("user",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "topic", "status", "attempts", "next_attempt_at", "delivered_at")
    list_filter = ("status", "topic")


@admin.register(DomainEvent)
class DomainEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "content_type", "object_id", "actor", "created_at")
    list_filter = ("name",)
    list_select_related = ("content_type", "actor")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("filename", "content_type", "object_id", "size", "uploaded_by", "uploaded_at")
    list_select_related = ("content_type", "uploaded_by")
    exclude = ("file",)  # downloads go through the record's gate, never the admin
