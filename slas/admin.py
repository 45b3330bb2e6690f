"""Operators' admin for service levels: read-only, so the admin never bypasses the services' rules
(administrators edit calendars, agreements and targets in /slas/settings/, where a change writes
a new calendar or target version; only the engine writes timers, their events and escalations)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from itsm.admin import ReadOnlyAdmin

from .models import Agreement, Calendar, CalendarDay, CalendarVersion, Escalation, Target, Timer, TimerEvent


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CalendarVersionInline(ReadOnlyInline):
    model = CalendarVersion
    fields = ("number", "summary", "created_at", "created_by")
    ordering = ("-number",)


class CalendarDayInline(ReadOnlyInline):
    model = CalendarDay
    fields = ("date", "kind", "name", "hours")
    ordering = ("date",)


@admin.register(Calendar)
class CalendarAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("name", "time_zone", "country", "subdivision", "is_active", "updated_at")
    list_filter = ("is_active", "country")
    search_fields = ("name",)
    inlines = (CalendarVersionInline, CalendarDayInline)


@admin.register(Agreement)
class AgreementAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("name", "customer", "valid_from", "valid_to", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "customer__name")
    list_select_related = ("customer",)


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    """Every version of every target (a change writes the next version; `is_current` marks the one in force)."""

    list_display = ("name", "version", "is_current", "agreement", "kind", "team", "metric", "record_type", "goal",
                    "calendar", "restart", "cycle_counting")
    list_filter = ("is_current", "kind", "metric", "record_type")
    search_fields = ("name", "agreement__name", "lineage")
    list_select_related = ("agreement", "calendar", "team")


class TimerEventInline(ReadOnlyInline):
    model = TimerEvent
    fields = ("at", "kind", "cause", "elapsed", "data")
    ordering = ("at", "id")


class EscalationInline(ReadOnlyInline):
    model = Escalation
    fields = ("threshold", "action", "due_at", "done_at", "outcome")
    ordering = ("threshold", "id")


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdmin):
    list_display = ("id", "content_type", "object_id", "metric", "kind", "ola_team", "cycle", "is_current", "target",
                    "state", "started_at", "due_at", "breached_at", "stopped_at")
    list_filter = ("state", "metric", "kind", "is_current", "content_type")
    search_fields = ("=object_id", "target__name")
    list_select_related = ("content_type", "target", "ola_team")
    inlines = (TimerEventInline, EscalationInline)


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ("timer", "threshold", "action", "due_at", "done_at")
    list_filter = ("action", "threshold")
    search_fields = ("=timer__id", "=timer__object_id")
