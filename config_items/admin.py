"""Operators' admin for the CMDB: read-only, so the admin never bypasses the services' rules."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from itsm.admin import ReadOnlyAdmin

from .models import Baseline, CIType, ConfigurationItem, Relationship, RelationshipType


@admin.register(CIType)
class CITypeAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("name", "slug", "is_service", "is_active")
    list_filter = ("is_service", "is_active")
    search_fields = ("name", "slug")


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("number", "name", "ci_type", "status", "environment", "owner_team", "updated_at")
    list_filter = ("status", "environment", "ci_type")
    search_fields = ("number", "name", "external_id")
    list_select_related = ("ci_type", "owner_team")


@admin.register(RelationshipType)
class RelationshipTypeAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("slug", "forward_label", "reverse_label", "is_active")


@admin.register(Relationship)
class RelationshipAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("source", "type", "target", "created_at", "created_by")
    list_select_related = ("source", "target", "type", "created_by")
    search_fields = ("source__number", "target__number")


@admin.register(Baseline)
class BaselineAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("number", "name", "root", "created_at", "created_by")
    list_select_related = ("root", "created_by")
    search_fields = ("number", "name")
