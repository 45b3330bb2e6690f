"""From a calendar as administrators edit it to the immutable definition timers compute with.

`expand(calendar)` turns weekly hours, the country's public holidays (from the `holidays`
library, with its weekend working days such as China's make-up days), and the organisation's
own days into one JSON definition; `business_calendar(definition)` makes the pure
`slas.businesstime.BusinessCalendar` of it.
"""

from datetime import date
from functools import lru_cache

import holidays
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .businesstime import MINUTES_PER_DAY, BusinessCalendar
from .choices import WEEKDAYS, DayKind

# Public holidays are expanded for this many years around today; a new version is published
# each year by the scheduled refresh (slas.tasks), so timers always find their year.
YEARS_BEFORE, YEARS_AFTER = 1, 3


def parse_clock(value: str) -> int:
    """"09:30" → 570 minutes; "24:00" ends a day."""
    try:
        hours, minutes = (int(part) for part in str(value).split(":"))
    except ValueError:
        raise ValidationError(_("“%(value)s” is not a time like 09:00.") % {"value": value}) from None
    total = hours * 60 + minutes
    if not (0 <= minutes < 60 and 0 <= total <= MINUTES_PER_DAY):
        raise ValidationError(_("“%(value)s” is not a time of day.") % {"value": value})
    return total


def parse_intervals(pairs, *, where: str) -> list[list[int]]:
    """[["09:00", "12:00"], ...] → [[540, 720], ...], ordered, each non-empty, none overlapping."""
    if not isinstance(pairs, list):
        raise ValidationError({where: _("Give a list of [start, end] times.")})
    intervals = []
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValidationError({where: _("Each interval is a [start, end] pair.")})
        start, end = parse_clock(pair[0]), parse_clock(pair[1])
        if start >= end:
            raise ValidationError({where: _("%(start)s–%(end)s ends before it starts.") % {
                "start": pair[0], "end": pair[1]}})
        intervals.append([start, end])
    intervals.sort()
    for (_s1, end1), (start2, _e2) in zip(intervals, intervals[1:], strict=False):
        if start2 < end1:
            raise ValidationError({where: _("Working intervals of one day must not overlap.")})
    return intervals


def clean_weekly_hours(weekly: dict) -> dict:
    """Validate {"mon": [["09:00", "18:00"]], ...}; every weekday present (empty: closed)."""
    if not isinstance(weekly, dict):
        raise ValidationError({"weekly_hours": _("Give the hours of each weekday.")})
    unknown = set(weekly) - set(WEEKDAYS)
    if unknown:
        raise ValidationError({"weekly_hours": _("Unknown weekday: %(days)s.") % {"days": ", ".join(sorted(unknown))}})
    cleaned = {day: weekly.get(day, []) for day in WEEKDAYS}
    for pairs in cleaned.values():
        parse_intervals(pairs, where="weekly_hours")
    if not any(cleaned.values()):
        raise ValidationError({"weekly_hours": _("A calendar needs working hours on at least one weekday.")})
    return cleaned


def validate_region(country: str, subdivision: str) -> None:
    """The holidays library must know the country, and the region within it."""
    if not country:
        if subdivision:
            raise ValidationError({"subdivision": _("Choose the country first.")})
        return
    try:
        known = holidays.country_holidays(country, years=timezone.now().year)
    except NotImplementedError:  # the library's answer for a country it does not know
        raise ValidationError({"country": _("No public holidays are known for “%(code)s”.") % {"code": country}}) \
            from None
    if subdivision and subdivision not in known.subdivisions:
        raise ValidationError({"subdivision": _("“%(region)s” is not a region of %(code)s. Known: %(known)s.") % {
            "region": subdivision, "code": country, "known": ", ".join(known.subdivisions) or "—"}})


def expand(calendar, days, *, today: date | None = None) -> dict:
    """The definition of `calendar` with its own `days` (CalendarDay rows)."""
    today = today or timezone.localdate()
    years = list(range(today.year - YEARS_BEFORE, today.year + YEARS_AFTER + 1))
    weekly = {str(index): parse_intervals(calendar.weekly_hours.get(day, []), where="weekly_hours")
              for index, day in enumerate(WEEKDAYS)}
    closed: dict[str, str] = {}
    working: dict[str, list] = {}
    if calendar.country:
        public = holidays.country_holidays(calendar.country, subdiv=calendar.subdivision or None, years=years)
        closed.update({day.isoformat(): name for day, name in public.items()})
        monday = weekly["0"] or next((hours for hours in weekly.values() if hours), [])
        for day in getattr(public, "weekend_workdays", ()):
            if day.year in years:
                working[day.isoformat()] = monday
    for day in days:
        key = day.date.isoformat()
        if day.kind == DayKind.CLOSED:
            closed[key] = day.name or _("Closed")
            working.pop(key, None)
        else:
            working[key] = parse_intervals(day.hours, where="hours") if day.hours else weekly["0"]
            closed.pop(key, None)
    definition = {"time_zone": calendar.time_zone, "weekly": weekly, "closed": closed, "working": working,
                  "years": years}
    estimated = estimated_years(calendar.country, calendar.subdivision, years)
    if estimated:
        definition["estimated"] = estimated
    return definition


def estimated_years(country: str, subdivision: str, years) -> list[int]:
    """The `years` whose public holidays are the library's estimates, not yet published: for a
    country whose official notices the library records year by year (its special holidays,
    such as China's make-up working days), the years after the last one it records."""
    if not country:
        return []
    sample = holidays.country_holidays(country, subdiv=subdivision or None, years=min(years))
    official = getattr(sample, "special_public_holidays", None) or {}
    if not official:
        return []
    last = max(official)
    return [year for year in years if year > last]


def uncovered(calendar, definition: dict, *instants) -> str | None:
    """Why the public holidays of a version do not cover one of `instants` (each read in the
    calendar's zone), or None. Only a calendar with a country has public holidays to miss."""
    if not calendar.country or not definition.get("years"):
        return None
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(definition["time_zone"])
    first, last = min(definition["years"]), max(definition["years"])
    for instant in instants:
        if not first <= instant.astimezone(zone).year <= last:
            return _("The public holidays of this calendar are known for %(first)s–%(last)s only; ask about "
                     "instants within those years.") % {"first": first, "last": last}
    return None


def business_calendar(definition: dict) -> BusinessCalendar:
    return _cached(_freeze(definition))


def calendar_of_version(version) -> BusinessCalendar:
    """The business calendar of a CalendarVersion, kept on the instance: a page of timers that
    share a version freezes its definition once, not once per timer."""
    calendar = getattr(version, "_business_calendar", None)
    if calendar is None:
        calendar = version._business_calendar = business_calendar(version.definition)
    return calendar


def _freeze(definition: dict):
    return (
        definition["time_zone"],
        tuple((int(day), tuple(map(tuple, hours))) for day, hours in sorted(definition["weekly"].items())),
        tuple(sorted(definition["closed"])),
        tuple((day, tuple(map(tuple, hours))) for day, hours in sorted(definition["working"].items())),
    )


@lru_cache(maxsize=256)
def _cached(frozen) -> BusinessCalendar:
    time_zone, weekly, closed, working = frozen
    return BusinessCalendar(
        time_zone, dict(weekly),
        closed_days=frozenset(date.fromisoformat(day) for day in closed),
        extra_working_days={date.fromisoformat(day): hours for day, hours in working},
    )


ALWAYS_HOURS = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
