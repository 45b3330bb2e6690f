"""Operators' admin for incidents: read-only, so the admin never bypasses the services' rules
(the service desk works in /incidents/, administrators edit categories and the matrix there)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from itsm.admin import ReadOnlyAdmin

from .models import AssignmentRule, Category, Incident, PriorityRule, SavedFilter


@admin.register(Incident)
class IncidentAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("number", "short_description", "state", "priority", "assignment_group", "assignee", "opened_at")
    list_filter = ("state", "priority", "channel", "is_major")
    search_fields = ("number", "short_description", "external_id", "correlation_key")
    list_select_related = ("assignment_group", "assignee")
    raw_id_fields = ("caller", "assignee", "parent", "service")


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("name", "parent", "is_active")
    list_select_related = ("parent",)


@admin.register(PriorityRule)
class PriorityRuleAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("impact", "urgency", "priority")


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("name", "service", "category", "assignment_group", "order", "is_active")
    list_select_related = ("service", "category__parent", "assignment_group")


@admin.register(SavedFilter)
class SavedFilterAdmin(ReadOnlyAdmin):
    list_display = ("name", "owner", "query", "created_at")
    list_select_related = ("owner",)
