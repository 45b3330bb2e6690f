"""Business-time arithmetic: pure functions over a calendar, no database, no clock.

A `BusinessCalendar` says, for each local date of its time zone, which wall-clock intervals
are working time: the weekly hours of that weekday, none on a closed day (public holiday or
the organisation's own), and the given hours on an extra working day (a weekend day worked
in exchange for a holiday, as China's make-up working days are).

Durations are real elapsed time inside those intervals. An interval is placed on the time
line by converting its local start and end to UTC, so on a daylight-saving day 09:00–18:00 is
still nine hours, while a 00:00–24:00 day lasts 23 or 25 hours. A wall-clock time that does
not exist (skipped by a spring-forward change) is read with the offset before the change.

The boundary: `add(start, d)` is the first instant at which `d` of business time has elapsed
since `start`; when `d` ends exactly at the end of a working interval, that end is the answer
(not the start of the next interval). A timer whose goal is `d` is met at that instant and
breached only after it (see slas docs). `add(start, 0)` is `start`.

Every function takes aware datetimes and answers in UTC.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
ZERO = timedelta(0)
# How far `add` and `next_business_instant` look for working time before giving up: a
# calendar with no working time in ten years is a mistake, not a long wait.
SEARCH_LIMIT_DAYS = 3660

Interval = tuple[int, int]  # minutes since local midnight: [start, end), 0 <= start < end <= 1440


class NoWorkingTime(ValueError):
    """The calendar has no working time where the computation needs some."""


def _check_intervals(intervals: tuple[Interval, ...]) -> tuple[Interval, ...]:
    ordered = tuple(sorted(intervals))
    previous_end = 0
    for start, end in ordered:
        if not (0 <= start < end <= MINUTES_PER_DAY):
            raise ValueError(f"interval {start}-{end} is not within one day")
        if start < previous_end:
            raise ValueError("working intervals of a day must not overlap")
        previous_end = end
    return ordered


@dataclass(frozen=True)
class BusinessCalendar:
    """Working time of one time zone. `weekly[0]` is Monday's intervals ... `weekly[6]` Sunday's."""

    time_zone: str
    weekly: Mapping[int, tuple[Interval, ...]]
    closed_days: frozenset[date] = frozenset()
    extra_working_days: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "zone", ZoneInfo(self.time_zone))
        weekly = {day: _check_intervals(tuple(self.weekly.get(day, ()))) for day in range(7)}
        object.__setattr__(self, "weekly", weekly)
        extra = {day: _check_intervals(tuple(intervals)) for day, intervals in self.extra_working_days.items()}
        object.__setattr__(self, "extra_working_days", extra)
        object.__setattr__(self, "closed_days", frozenset(self.closed_days))

    @classmethod
    def always(cls, time_zone: str = "UTC") -> "BusinessCalendar":
        """24 × 7: every instant is working time."""
        return cls(time_zone, {day: ((0, MINUTES_PER_DAY),) for day in range(7)})

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The local working intervals of `day` (extra working days win over closed days)."""
        if day in self.extra_working_days:
            return self.extra_working_days[day]
        if day in self.closed_days:
            return ()
        return self.weekly[day.weekday()]

    def has_working_time(self) -> bool:
        return any(self.weekly.values()) or any(self.extra_working_days.values())


def _local_instant(calendar: BusinessCalendar, day: date, minutes: int) -> datetime:
    """`minutes` after local midnight of `day`, as a UTC instant (24:00 is the next midnight)."""
    if minutes == MINUTES_PER_DAY:
        day, minutes = day + timedelta(days=1), 0
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=calendar.zone)
    return local.astimezone(UTC)


def segments(calendar: BusinessCalendar, day: date) -> Iterator[tuple[datetime, datetime]]:
    """The working intervals of local `day` as UTC [start, end) pairs, in order."""
    for start, end in calendar.intervals_on(day):
        start_at, end_at = _local_instant(calendar, day, start), _local_instant(calendar, day, end)
        if end_at > start_at:  # an interval swallowed by a DST change has no length
            yield start_at, end_at


def _segments_from(calendar: BusinessCalendar, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working segments that end after `instant`, clipped to start no earlier than it."""
    # Start a day early: a segment of the previous local day can still be running.
    day = instant.astimezone(calendar.zone).date() - timedelta(days=1)
    for _ in range(SEARCH_LIMIT_DAYS):
        for start, end in segments(calendar, day):
            if end > instant:
                yield max(start, instant), end
        day += timedelta(days=1)
    raise NoWorkingTime(f"no working time within {SEARCH_LIMIT_DAYS} days of {instant.isoformat()}")


def _aware(instant: datetime, name: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return instant.astimezone(UTC)


def add(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant at which `duration` of business time has elapsed since `start`."""
    start = _aware(start, "start")
    if duration < ZERO:
        raise ValueError("duration must not be negative")
    if duration == ZERO:
        return start
    remaining = duration
    for segment_start, segment_end in _segments_from(calendar, start):
        length = segment_end - segment_start
        if remaining <= length:
            return segment_start + remaining
        remaining -= length
    raise NoWorkingTime("unreachable")  # _segments_from raises first


def between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Business time elapsed from `start` to `end` (zero if `end` is not after `start`)."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end <= start:
        return ZERO
    total = ZERO
    day = start.astimezone(calendar.zone).date() - timedelta(days=1)
    last_day = end.astimezone(calendar.zone).date()
    while day <= last_day:
        for segment_start, segment_end in segments(calendar, day):
            overlap = min(segment_end, end) - max(segment_start, start)
            if overlap > ZERO:
                total += overlap
        day += timedelta(days=1)
    return total


def next_business_instant(calendar: BusinessCalendar, instant: datetime) -> datetime:
    """`instant` itself if it is working time, else the start of the next working interval."""
    instant = _aware(instant, "instant")
    for segment_start, _end in _segments_from(calendar, instant):
        return segment_start
    raise NoWorkingTime("unreachable")


def is_business_time(calendar: BusinessCalendar, instant: datetime) -> bool:
    return next_business_instant(calendar, instant) == _aware(instant, "instant")
