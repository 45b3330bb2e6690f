"""Reading closed days from an iCalendar (.ics) file: every VEVENT becomes one closed day
per date it covers (all-day events end the day before DTEND; dated events cover the days
they touch), named by its SUMMARY. A recurring event (RRULE, RDATE, EXDATE, moved
occurrences) counts once per occurrence, from the file's first event up to RECURRENCE_YEARS
ahead: a holiday that repeats every year without end is closed for the next ten years, and a
later import adds the years after. Parsing only: slas.services.calendar_import_ics writes."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

MAX_DAYS = 3660  # ten years of closed days is more than any file a person means to import
RECURRENCE_YEARS = 10  # how far ahead of today an open-ended recurring event is expanded


@dataclass(frozen=True)
class ClosedDay:
    date: date
    name: str


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def parse_closed_days(content: bytes | str) -> list[ClosedDay]:
    """The closed days of an .ics file, by date (the first event of a date names it).
    Raises ValidationError (on "file") if the content is not an iCalendar with events."""
    import icalendar

    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError({"file": _("The file is not UTF-8 text.")}) from None
    try:
        calendar = icalendar.Calendar.from_ical(content)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise ValidationError({"file": _("This is not an iCalendar file: %(error)s") % {"error": exc}}) from None
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise ValidationError({"file": _("This is not an iCalendar file.")})
    days: dict[date, str] = {}
    for event in _occurrences(calendar):
        first = event.get("DTSTART").dt
        end = event.get("DTEND")
        if end is not None:
            last_instant = end.dt
        elif event.get("DURATION") is not None:
            last_instant = first + event.get("DURATION").dt
        else:
            last_instant = None
        first_day = _day(first)
        if last_instant is None:
            last_day = first_day
        elif isinstance(last_instant, datetime):
            # A dated event: every day it touches (an event ending at midnight ends the day before).
            last_day = _day(last_instant)
            if last_instant.time() == datetime.min.time() and last_day > first_day:
                last_day -= timedelta(days=1)
        else:
            last_day = max(first_day, last_instant - timedelta(days=1))  # DTEND of a date is exclusive
        if (last_day - first_day).days > MAX_DAYS:
            raise ValidationError({"file": _("An event lasts more than ten years.")})
        name = str(event.get("SUMMARY", "")).strip()[:100]
        day = first_day
        while day <= last_day:
            days.setdefault(day, name)
            day += timedelta(days=1)
    if not days:
        raise ValidationError({"file": _("The file holds no events.")})
    return [ClosedDay(day, name) for day, name in sorted(days.items())]


def _occurrences(calendar) -> list:
    """Every occurrence of every event, recurring ones expanded: from the first event's day to
    RECURRENCE_YEARS after today (or after the last event's start, if that is later)."""
    import recurring_ical_events

    starts = []
    for event in calendar.walk("VEVENT"):
        if event.get("DTSTART") is None:
            raise ValidationError({"file": _("An event has no start date.")})
        starts.append(_day(event.get("DTSTART").dt))
    if not starts:
        return []
    horizon = max(timezone.localdate(), max(starts)) + timedelta(days=366 * RECURRENCE_YEARS)
    try:
        return list(recurring_ical_events.of(calendar).between(min(starts), horizon))
    except (ValueError, TypeError) as exc:  # a malformed RRULE, EXDATE or RDATE
        raise ValidationError({"file": _("This is not an iCalendar file: %(error)s") % {"error": exc}}) from None
