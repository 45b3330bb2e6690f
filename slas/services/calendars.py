"""Calendars: their working time, the organisation's own days, iCalendar imports, and the
versions published from them (a timer keeps the version it was counted with)."""


from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from itsm.exceptions import NotPermitted
from itsm.permissions import ADMIN_ROLES, require
from itsm.records import check_version, save_with_history, versioned_save
from itsm.validation import apply_fields, refuse_unknown

from ..calendars import clean_weekly_hours, expand, parse_intervals, validate_region
from ..choices import DayKind
from ..models import Calendar, CalendarDay, CalendarVersion
from .targets import _targets_changed

CALENDAR_FIELDS = ("name", "time_zone", "weekly_hours", "country", "subdivision", "is_active")


@transaction.atomic
def calendar_create(*, actor, data: dict) -> Calendar:
    """Create a calendar and publish its first version. Side effects: history, version 1."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, CALENDAR_FIELDS)
    calendar = Calendar(**data)
    calendar.weekly_hours = clean_weekly_hours(calendar.weekly_hours)
    validate_region(calendar.country, calendar.subdivision)
    calendar.full_clean()
    save_with_history(calendar, actor=actor, reason="created")
    calendar_publish(calendar=calendar, actor=actor, summary=_("Created"))
    return calendar


def refuse_builtin(calendar: Calendar) -> None:
    """The built-in 24×7 calendar is immutable: every target on it means every instant."""
    if calendar.builtin:
        raise NotPermitted(_("The built-in 24×7 calendar cannot be changed; create a calendar of your own "
                             "and use it in the targets instead."))


@transaction.atomic
def calendar_update(*, actor, calendar: Calendar, data: dict, expected_version: int | None = None) -> Calendar:
    """Change a calendar; publishes a new version if its working time changed. Finished
    timers keep the version they used; running ones move only by `timers_recompute`."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, CALENDAR_FIELDS)
    calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
    refuse_builtin(calendar)
    check_version(calendar, expected_version)
    changed = sorted(name for name, value in data.items() if getattr(calendar, name) != value)
    apply_fields(calendar, data, CALENDAR_FIELDS)
    calendar.weekly_hours = clean_weekly_hours(calendar.weekly_hours)
    validate_region(calendar.country, calendar.subdivision)
    versioned_save(calendar, actor=actor, reason="updated")
    calendar_publish(calendar=calendar, actor=actor, summary=_("Changed: %(fields)s") % {"fields": ", ".join(changed)})
    return calendar


@transaction.atomic
def calendar_day_set(*, actor, calendar: Calendar, date, kind: str, name: str = "", hours=None) -> CalendarDay:
    """Declare one of the organisation's own days (closed, or an extra working day with its
    hours). Side effects: history, a new calendar version."""
    require(actor, ADMIN_ROLES)
    refuse_builtin(calendar)
    if kind not in DayKind.values:
        raise ValidationError({"kind": _("Choose closed or working.")})
    if kind == DayKind.CLOSED and hours:
        raise ValidationError({"hours": _("A closed day has no hours.")})
    if hours:
        parse_intervals(hours, where="hours")
    day, _created = CalendarDay.objects.update_or_create(
        calendar=calendar, date=date, defaults={"kind": kind, "name": name, "hours": hours or []})
    calendar_publish(calendar=calendar, actor=actor, summary=_("%(date)s: %(kind)s") % {
        "date": date, "kind": day.get_kind_display()})
    return day


@transaction.atomic
def calendar_day_delete(*, actor, day: CalendarDay) -> None:
    require(actor, ADMIN_ROLES)
    calendar, date = day.calendar, day.date
    refuse_builtin(calendar)
    day.delete()
    calendar_publish(calendar=calendar, actor=actor, summary=_("%(date)s: back to the usual hours") % {"date": date})


def calendar_publish(*, calendar: Calendar, actor, summary: str = "") -> CalendarVersion:
    """Snapshot the calendar's working time as a new version, unless it equals the latest."""
    definition = expand(calendar, CalendarDay.objects.filter(calendar=calendar))  # not a stale prefetch
    latest = calendar.versions.order_by("-number").first()
    if latest is not None and latest.definition == definition:
        return latest
    _targets_changed()  # the targets' copies carry their calendars' current versions
    return CalendarVersion.objects.create(
        calendar=calendar, number=(latest.number + 1) if latest else 1, definition=definition,
        summary=summary[:1000], created_by=actor)


def calendars_republish(*, actor) -> int:
    """Publish again every active calendar whose definition moved (the yearly window of public
    holidays, the library's newly published years): the scheduled task's yearly refresh, run
    daily so that it never misses the new year. Idempotent: an unchanged calendar publishes
    nothing. Returns how many calendars got a new version."""
    published = 0
    for calendar in Calendar.objects.filter(is_active=True, builtin=False).order_by("pk"):
        with transaction.atomic():
            locked = Calendar.objects.select_for_update().get(pk=calendar.pk)
            before = locked.versions.order_by("-number").values_list("pk", flat=True).first()
            version = calendar_publish(calendar=locked, actor=actor, summary=_("Public holidays republished"))
            published += version.pk != before
    return published


def current_version(calendar: Calendar) -> CalendarVersion:
    version = calendar.versions.order_by("-number").first()
    if version is None:
        raise ValidationError(_("Calendar %(name)s has no published version.") % {"name": calendar})
    return version


# --- iCalendar import (settings pages and API) ------------------------------------------------

@transaction.atomic
def calendar_import_ics(*, actor, calendar: Calendar, content) -> int:
    """Declare closed the days of the events of an iCalendar (.ics) file, named by their
    SUMMARY (an existing own day of that date is replaced). All or nothing: a file that does
    not parse writes nothing. Side effects: CalendarDay history, ONE new calendar version.
    Returns how many days were declared."""
    from ..icalendar import parse_closed_days

    require(actor, ADMIN_ROLES)
    refuse_builtin(calendar)
    days = parse_closed_days(content)
    calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
    for day in days:
        CalendarDay.objects.update_or_create(calendar=calendar, date=day.date,
                                             defaults={"kind": DayKind.CLOSED, "name": day.name, "hours": []})
    calendar_publish(calendar=calendar, actor=actor, summary=_("Imported %(count)s closed days from %(first)s to "
                                                              "%(last)s") % {
        "count": len(days), "first": days[0].date, "last": days[-1].date})
    return len(days)
