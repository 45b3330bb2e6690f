"""Recurring schedule windows: iCalendar RRULE bodies (RFC 5545, 3.3.10), checked and expanded.

A window is kept as its first interval (aware start and end), the body of an RRULE such as
``FREQ=WEEKLY;BYDAY=SA`` (empty for a one-off) and the time zone whose wall clock it follows:
``validate_rrule`` checks and normalises the rule before it is stored, ``occurrences`` lists the
intervals that meet a window of time (a calendar page, a freeze check). docs/kernel.md has the rules.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from dateutil import rrule as du
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 500
FREQUENCIES = {"YEARLY": du.YEARLY, "MONTHLY": du.MONTHLY, "WEEKLY": du.WEEKLY, "DAILY": du.DAILY,
               "HOURLY": du.HOURLY}
TOO_FREQUENT = ("MINUTELY", "SECONDLY")
WEEKDAYS = {"MO": du.MO, "TU": du.TU, "WE": du.WE, "TH": du.TH, "FR": du.FR, "SA": du.SA, "SU": du.SU}
# The order in which validate_rrule writes the parts.
PARTS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY",
         "BYHOUR", "BYMINUTE", "BYSECOND", "BYSETPOS", "WKST")
# Lists of whole numbers: (smallest, largest, whether counting from the end (negative) is allowed).
NUMBER_LISTS = {
    "BYMONTH": (1, 12, False), "BYWEEKNO": (1, 53, True), "BYYEARDAY": (1, 366, True),
    "BYMONTHDAY": (1, 31, True), "BYHOUR": (0, 23, False), "BYMINUTE": (0, 59, False),
    "BYSECOND": (0, 59, False), "BYSETPOS": (1, 366, True),
}
# Parts RFC 5545 forbids with a frequency.
NOT_WITH = {"BYWEEKNO": ("MONTHLY", "WEEKLY", "DAILY", "HOURLY"), "BYYEARDAY": ("MONTHLY", "WEEKLY", "DAILY"),
            "BYMONTHDAY": ("WEEKLY",)}
MAX_INTERVAL = 9999  # beyond it dateutil crawls month by month to the next period
MAX_COUNT = 999_999
# A rule's day filters repeat with the Gregorian calendar's 400 years: validate_rrule looks for an
# occurrence in the last whole cycle before dateutil's year 9999, so a rule that never occurs is
# refused after at most 400 years of search (a fraction of a second) instead of being searched for
# up to year 9999 by every later expansion.
PROBE_START = dt.datetime(9600, 1, 1)
# Windows are searched from their duration plus this before the window: wall-clock durations
# stretch over a change of UTC offset (an hour in most zones, a day where a zone skipped one).
SLACK = dt.timedelta(days=1)
# Frequencies of a fixed wall-clock length: a rule without COUNT may start its search a whole
# number of periods later, close to the window, instead of walking from a start years ago.
FIXED_PERIODS = {"WEEKLY": dt.timedelta(weeks=1), "DAILY": dt.timedelta(days=1), "HOURLY": dt.timedelta(hours=1)}

_NUMBER = re.compile(r"[+-]?\d{1,3}")
_DAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?")
_WHOLE = re.compile(r"\d{1,6}")


def _invalid() -> ValidationError:
    return ValidationError(_("Enter a recurrence rule such as “FREQ=WEEKLY;BYDAY=SA,SU”."), code="invalid")


def _bad_part(name: str, value: str) -> ValidationError:
    return ValidationError(_("“%(part)s” is not valid in a recurrence rule."), code="invalid_part",
                           params={"part": f"{name}={value}"})


def _numbers(name: str, value: str) -> tuple[int, ...]:
    low, high, negative = NUMBER_LISTS[name]
    numbers = []
    for item in value.split(","):
        if not _NUMBER.fullmatch(item):
            raise _bad_part(name, value)
        number = int(item)
        if not (low <= number <= high or (negative and low <= -number <= high)):
            raise _bad_part(name, value)
        numbers.append(number)
    return tuple(dict.fromkeys(numbers))


def _days(value: str, freq: str) -> tuple[tuple[int | None, str], ...]:
    days = []
    for item in value.split(","):
        match = _DAY.fullmatch(item)
        if not match:
            raise _bad_part("BYDAY", value)
        ordinal = int(match.group(1)) if match.group(1) else None
        if ordinal is not None:
            if freq not in ("MONTHLY", "YEARLY"):
                raise ValidationError(_("%(part)s cannot be used with FREQ=%(freq)s."), code="combination",
                                      params={"part": f"BYDAY={item}", "freq": freq})
            if not 1 <= abs(ordinal) <= (5 if freq == "MONTHLY" else 53):
                raise _bad_part("BYDAY", value)
        days.append((ordinal, match.group(2)))
    return tuple(dict.fromkeys(days))


def _parse(text: str) -> dict:
    """The parts of an RRULE body, checked and normalised ({} for an empty one); ValidationError."""
    body = text.strip()
    if body[:6].upper() == "RRULE:":
        body = body[6:]
    if not body:
        return {}
    if len(body) > MAX_LENGTH or not body.isascii() or not body.isprintable():
        raise _invalid()
    given: dict[str, str] = {}
    for pair in body.split(";"):
        if not pair.strip():
            continue  # a trailing ";"
        name, equals, value = pair.partition("=")
        name, value = name.strip().upper(), "".join(value.split()).upper()
        if not equals or not name:
            raise _invalid()
        if not value or name not in PARTS:
            raise _bad_part(name, value)
        if name in given:
            raise ValidationError(_("%(part)s appears more than once in the recurrence rule."), code="repeated",
                                  params={"part": name})
        given[name] = value
    freq = given.get("FREQ")
    if freq is None:
        raise ValidationError(_("A recurrence rule needs a frequency (FREQ)."), code="no_frequency")
    if freq in TOO_FREQUENT:
        raise ValidationError(_("A recurrence rule cannot repeat more often than hourly."), code="too_frequent")
    if freq not in FREQUENCIES:
        raise _bad_part("FREQ", freq)
    if "COUNT" in given and "UNTIL" in given:
        raise ValidationError(_("A recurrence rule cannot have both COUNT and UNTIL."), code="count_and_until")
    parts: dict = {"FREQ": freq}
    for name, value in given.items():
        if freq in NOT_WITH.get(name, ()):
            raise ValidationError(_("%(part)s cannot be used with FREQ=%(freq)s."), code="combination",
                                  params={"part": name, "freq": freq})
        if name in ("INTERVAL", "COUNT"):
            if not _WHOLE.fullmatch(value) or not 1 <= int(value) <= (MAX_INTERVAL if name == "INTERVAL" else MAX_COUNT):
                raise _bad_part(name, value)
            parts[name] = int(value)
        elif name == "UNTIL":
            parts[name] = _until_text(value)
        elif name in NUMBER_LISTS:
            parts[name] = _numbers(name, value)
        elif name == "BYDAY":
            parts[name] = _days(value, freq)
        elif name == "WKST":
            if value not in WEEKDAYS:
                raise _bad_part(name, value)
            parts[name] = value
    if "BYSETPOS" in parts and not any(name.startswith("BY") and name != "BYSETPOS" for name in parts):
        raise _bad_part("BYSETPOS", given["BYSETPOS"])  # it picks from the days or times other BY parts give
    if freq == "YEARLY" and "BYWEEKNO" in parts and any(n is not None for n, _day in parts.get("BYDAY", ())):
        raise _bad_part("BYDAY", given["BYDAY"])
    return parts


def _until_text(value: str) -> str:
    """UNTIL as a date (YYYYMMDD), a wall-clock time (YYYYMMDDTHHMMSS) or UTC (…Z), checked."""
    match = _UNTIL.fullmatch(value)
    try:
        if not match:
            raise ValueError
        dt.datetime(*(int(group) for group in match.groups()[:6] if group is not None))
    except ValueError:
        raise _bad_part("UNTIL", value) from None
    return value


def _until(value: str, zone: ZoneInfo) -> dt.datetime:
    """The last wall-clock start UNTIL allows: a date's whole day, a UTC instant in the zone's time."""
    numbers = [int(group) for group in _UNTIL.fullmatch(value).groups()[:6] if group is not None]
    if len(numbers) == 3:
        return dt.datetime(*numbers, 23, 59, 59)
    if value.endswith("Z"):
        return _wall(dt.datetime(*numbers, tzinfo=dt.UTC), zone)
    return dt.datetime(*numbers)


def _text(parts: dict) -> str:
    written = []
    for name in PARTS:
        if name not in parts:
            continue
        value = parts[name]
        if name == "BYDAY":
            value = ",".join(f"{ordinal or ''}{day}" for ordinal, day in value)
        elif isinstance(value, tuple):
            value = ",".join(str(number) for number in value)
        written.append(f"{name}={value}")
    return ";".join(written)


def _rule(parts: dict, *, dtstart: dt.datetime, until: dt.datetime | None = None,
          count: int | None = None, interval: int | None = None) -> du.rrule:
    """dateutil's rule for the parts, on naive wall-clock times (UNTIL and COUNT are passed apart)."""
    days = parts.get("BYDAY")
    return du.rrule(
        FREQUENCIES[parts["FREQ"]], dtstart=dtstart, interval=interval or parts.get("INTERVAL", 1),
        wkst=WEEKDAYS[parts.get("WKST", "MO")], count=count, until=until, bymonth=parts.get("BYMONTH"),
        byweekno=parts.get("BYWEEKNO"), byyearday=parts.get("BYYEARDAY"), bymonthday=parts.get("BYMONTHDAY"),
        byweekday=[WEEKDAYS[day](ordinal) if ordinal else WEEKDAYS[day] for ordinal, day in days] if days else None,
        byhour=parts.get("BYHOUR"), byminute=parts.get("BYMINUTE"), bysecond=parts.get("BYSECOND"),
        bysetpos=parts.get("BYSETPOS"), cache=False,
    )


def validate_rrule(text: str) -> str:
    """The RRULE body normalised (upper case, parts in a fixed order, "RRULE:" dropped), "" for none.

    Raises ValidationError for text that is no RRULE body, a rule without FREQ or with a part
    RFC 5545 does not allow with its FREQ, COUNT with UNTIL, MINUTELY or SECONDLY (too fine for a
    schedule window), and a rule whose days never occur (February 30th).
    """
    parts = _parse(text)
    if not parts:
        return ""
    probe = {name: value for name, value in parts.items() if name not in ("COUNT", "UNTIL", "INTERVAL")}
    try:
        first = _rule(probe, dtstart=PROBE_START).after(PROBE_START, inc=True)
    except (ValueError, OverflowError):
        raise _invalid() from None
    if first is None:
        raise ValidationError(_("This recurrence rule never occurs."), code="never")
    return _text(parts)


def overlaps(a_start: dt.datetime, a_end: dt.datetime, b_start: dt.datetime, b_end: dt.datetime) -> bool:
    """Whether the half-open intervals [a_start, a_end) and [b_start, b_end) share an instant."""
    return a_start < b_end and b_start < a_end


def _wall(instant: dt.datetime, zone: ZoneInfo, shift: dt.timedelta = dt.timedelta(0)) -> dt.datetime:
    """The wall-clock time (naive) in the zone of instant + shift, held to the representable range."""
    try:
        return (instant + shift).astimezone(zone).replace(tzinfo=None)
    except OverflowError:
        return dt.datetime.max if instant.year > dt.MAXYEAR // 2 else dt.datetime.min


def occurrences(*, start: dt.datetime, end: dt.datetime, rrule: str, tz: str, window_start: dt.datetime,
                window_end: dt.datetime, limit: int = 1000) -> list[tuple[dt.datetime, dt.datetime]]:
    """The (start, end) intervals, in UTC, of an event first held start..end and repeated by rrule,
    that overlap [window_start, window_end), earliest first, at most limit of them.

    The rule repeats the first interval's wall-clock start and end in the zone tz (every Saturday
    22:00-02:00 Europe/Berlin stays 22:00-02:00 over summer time); a time that does not exist on a
    day (skipped by a change to summer time) moves forward by the change, a time that exists twice
    is the first one. The first interval is always an occurrence, also when the rule would not
    produce it (RFC 5545: DTSTART is the first instance, counted by COUNT). An empty rule is a
    one-off. UNTIL as a date includes that day in tz; UNTIL without "Z" is a wall-clock time in tz.
    Times are whole seconds, as in iCalendar (dateutil drops microseconds: the first interval
    would otherwise be found twice).
    """
    for value in (start, end, window_start, window_end):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("occurrences() needs aware datetimes")
    start, end = start.replace(microsecond=0), end.replace(microsecond=0)
    first = (start.astimezone(dt.UTC), end.astimezone(dt.UTC))
    if first[1] <= first[0]:
        raise ValueError("an occurrence must end after it starts")
    parts = _parse(rrule)
    found = [first] if overlaps(*first, window_start, window_end) else []
    if not parts or limit <= 0 or window_end <= window_start:
        return found[:max(limit, 0)]

    zone = ZoneInfo(tz)
    local_start = start.astimezone(zone).replace(tzinfo=None)
    exact = first[1] - first[0]  # in UTC: aware times of one zone subtract as wall-clock times
    wall = end.astimezone(zone).replace(tzinfo=None) - local_start
    if wall <= dt.timedelta(0):
        wall = exact
    # A search from here (wall-clock, naive) finds every occurrence that reaches into the window.
    after = _wall(window_start, zone, -(max(wall, exact) + SLACK))
    before = _wall(window_end, zone, SLACK)
    until = _until(parts["UNTIL"], zone) if "UNTIL" in parts else None
    count = parts.get("COUNT")
    dtstart = local_start
    if count is None and parts["FREQ"] in FIXED_PERIODS and after > local_start:
        period = FIXED_PERIODS[parts["FREQ"]] * parts.get("INTERVAL", 1)
        dtstart = local_start + (after - local_start) // period * period
    try:
        rule = _rule(parts, dtstart=dtstart, until=until, count=count)
        if count is not None and next(iter(rule), None) != local_start:
            # The first interval is not one of the rule's: it still counts as the first of COUNT.
            rule = _rule(parts, dtstart=dtstart, until=until, count=count - 1) if count > 1 else None
    except ValueError:
        rule = None  # dateutil finds the rule unreachable from this start (BYHOUR out of INTERVAL's step)

    starts = {first[0]}
    for occurrence in rule.xafter(after, inc=True) if rule is not None else ():
        if len(found) >= limit or occurrence > before:
            break
        if occurrence == local_start:
            continue  # the first interval, taken as given
        occurrence_start = occurrence.replace(tzinfo=zone).astimezone(dt.UTC)
        occurrence_end = (occurrence + wall).replace(tzinfo=zone).astimezone(dt.UTC)
        if occurrence_end <= occurrence_start:
            occurrence_end = occurrence_start + exact
        if occurrence_start in starts:
            continue  # a wall-clock time skipped by summer time is the next hour's instant (HOURLY)
        if overlaps(occurrence_start, occurrence_end, window_start, window_end):
            found.append((occurrence_start, occurrence_end))
            starts.add(occurrence_start)
    found.sort()
    return found[:limit]
