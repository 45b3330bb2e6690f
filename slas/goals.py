"""A target's goal for one timer: its duration, or the business time up to a due instant
relative to the timer's start ("end of the next business day", "by 17:00 on the third business
day", "the next business instant"), on the timer's calendar.

A relative goal becomes a business duration when the timer starts (or is re-targeted or
recomputed, from its start): the engine then counts, pauses, warns and breaches it like any
other goal. A pause therefore pushes the due instant back by the paused business time, as for a
duration goal. Business days are counted after the start's local date: day 1 is the first
local date after it with working time; day 0 is the start's own date when working time is
left on it, else day 1.
"""

from datetime import date, datetime, time, timedelta

from .businesstime import SEARCH_LIMIT_DAYS, BusinessCalendar, NoWorkingTime, between, next_business_instant
from .businesstime import segments as day_segments
from .choices import GoalKind


def goal_for(target, calendar: BusinessCalendar, start: datetime) -> timedelta:
    """The goal of a timer of `target` started at `start`, in business time on `calendar`."""
    kind = getattr(target, "goal_kind", GoalKind.DURATION) or GoalKind.DURATION
    if kind == GoalKind.DURATION:
        return target.goal
    return between(calendar, start, due_instant(kind, calendar, start, days=target.goal_days,
                                                at=target.goal_time))


def due_instant(kind: str, calendar: BusinessCalendar, start: datetime, *, days: int = 1,
                at: time | None = None) -> datetime:
    """The due instant of a relative goal `kind` for a timer started at `start`."""
    if kind == GoalKind.NEXT_BUSINESS_INSTANT:
        return next_business_instant(calendar, start)
    day = business_day(calendar, start, days)
    if kind == GoalKind.END_OF_BUSINESS_DAY:
        return list(day_segments(calendar, day))[-1][1]
    if kind == GoalKind.BUSINESS_DAY_AT:
        return max(start, datetime.combine(day, at, tzinfo=calendar.zone))
    raise ValueError(f"not a relative goal: {kind}")


def business_day(calendar: BusinessCalendar, start: datetime, days: int) -> date:
    """The `days`-th local date with working time after the start's date (0: the start's own
    date if working time is left on it, else the next one)."""
    local = start.astimezone(calendar.zone).date()
    if days == 0:
        if any(end > start for _start, end in day_segments(calendar, local)):
            return local
        days = 1
    day, found = local, 0
    for _ in range(SEARCH_LIMIT_DAYS):
        day += timedelta(days=1)
        if any(True for _segment in day_segments(calendar, day)):
            found += 1
            if found == days:
                return day
    raise NoWorkingTime(f"no {days}th business day within {SEARCH_LIMIT_DAYS} days of {start.isoformat()}")
