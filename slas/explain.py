"""A timer explains itself: its events in order (start, pause, resume, threshold, breach,
stop, re-target, recompute) with the instant, the cause and the elapsed business time, and
for each interval during which the clock ran, the calendar segments that were counted.

Pure reads: nothing here writes. `explain(timer, now)` uses the timer's prefetched events
when there are some (`prefetch_related(Prefetch("events", to_attr="event_list"))`), so a page
of timers costs one query.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .businesstime import segments
from .calendars import calendar_of_version
from .choices import TimerEventKind, TimerState
from .engine import percent_of_goal

SEGMENTS_PER_INTERVAL = 20  # an explanation lists at most this many segments per running interval
STARTS = (TimerEventKind.START, TimerEventKind.RESUME, TimerEventKind.REOPEN)
ENDS = (TimerEventKind.PAUSE, TimerEventKind.STOP, TimerEventKind.CANCEL)


@dataclass
class Interval:
    """A stretch of wall-clock time during which the clock ran, and what of it was counted."""

    start: datetime
    end: datetime
    ongoing: bool
    segments: list[tuple[datetime, datetime]] = field(default_factory=list)
    more_segments: int = 0  # segments beyond the listed ones
    counted: timedelta = timedelta(0)


@dataclass
class Explanation:
    events: list
    intervals: list[Interval]
    # Which clock this is: its cycle and scope in words ("Cycle 2, started again on reopening";
    # "Operational level of Network"), for the page and the API.
    cycle: int = 1
    cycle_text: str = ""
    scope_text: str = ""


def events_of(timer) -> list:
    """The timer's events in order: the ones prefetched into `event_list`, else one query."""
    events = getattr(timer, "event_list", None)
    if events is not None:
        return sorted(events, key=lambda e: (e.at, e.pk))
    return list(timer.events.order_by("at", "id"))


def running_intervals(events, now: datetime) -> list[tuple[datetime, datetime, bool]]:
    """[start, end) intervals during which the clock ran, from the events; the last one is
    ongoing (ends `now`) when the clock still runs."""
    intervals, since = [], None
    for event in events:
        if event.kind in STARTS:
            since = since or event.at
        elif event.kind in ENDS and since is not None:
            intervals.append((since, event.at, False))
            since = None
    if since is not None:
        intervals.append((since, max(now, since), True))
    return intervals


def counted_segments(calendar, start: datetime, end: datetime, limit: int = SEGMENTS_PER_INTERVAL):
    """The working segments of `calendar` within [start, end): (listed, how many more, total counted)."""
    listed, more, total = [], 0, timedelta(0)
    if end <= start:
        return listed, more, total
    day = start.astimezone(calendar.zone).date() - timedelta(days=1)
    last_day = end.astimezone(calendar.zone).date()
    while day <= last_day:
        for seg_start, seg_end in segments(calendar, day):
            low, high = max(seg_start, start), min(seg_end, end)
            if high > low:
                total += high - low
                if len(listed) < limit:
                    listed.append((low, high))
                else:
                    more += 1
        day += timedelta(days=1)
    return listed, more, total


def explain(timer, now: datetime | None = None, *, limit: int = SEGMENTS_PER_INTERVAL) -> Explanation:
    now = now or timezone.now()
    events = events_of(timer)
    calendar = calendar_of_version(timer.calendar_version)
    intervals = []
    for start, end, ongoing in running_intervals(events, now):
        listed, more, total = counted_segments(calendar, start, end, limit)
        intervals.append(Interval(start, end, ongoing, listed, more, total))
    return Explanation(events=events, intervals=intervals, cycle=getattr(timer, "cycle", 1) or 1,
                       cycle_text=cycle_text(timer, events), scope_text=scope_text(timer, events))


RESTART_REASONS = {
    "reopen": _lazy("started again on reopening"),
    "customer_reply": _lazy("started again on a customer reply"),
    "group": _lazy("started again when the group got the record back"),
}
STOP_REASONS = {
    "handed_on": _lazy("the group handed the record on"),
    "taken": _lazy("a member of the group took the record"),
    "resolved": _lazy("the record was resolved"),
    "answered": _lazy("the service desk replied"),
}


def _start_data(events) -> dict:
    return next((e.data or {} for e in events if e.kind == TimerEventKind.START), {})


def cycle_text(timer, events=None) -> str:
    """"Cycle 2, started again on reopening" (why the clock restarted, from its start event);
    "Cycle 1" for the first. Whether it counts in attainment is said when it does not."""
    cycle = getattr(timer, "cycle", 1) or 1
    text = _("Cycle %(number)s") % {"number": cycle}
    why = _start_data(events_of(timer) if events is None else events).get("restart")
    if why in RESTART_REASONS:
        text += ", " + str(RESTART_REASONS[why])
    if not getattr(timer, "counts", True):
        text += " " + _("(not counted in attainment)")
    return text


def scope_text(timer, events=None) -> str:
    """"Service level (the customer's)" or "Operational level of Network" (the group, as named
    when its clock started if the team is not loaded)."""
    if not getattr(timer, "ola_team_id", None):
        return _("Service level (the customer's)")
    if type(timer).ola_team.is_cached(timer):
        name = timer.ola_team.name
    else:
        name = _start_data(events_of(timer) if events is None else events).get("team_name") or f"#{timer.ola_team_id}"
    return _("Operational level of %(team)s") % {"team": name}


@dataclass
class Clock:
    """What an agent sees of one timer now: live elapsed, remaining, percentage and colour."""

    timer: object
    elapsed: timedelta
    remaining: timedelta
    percent: float
    bar_colour: str
    state_colour: str
    overdue: bool


def elapsed_now(timer, now: datetime) -> timedelta:
    """Elapsed business time as of `now` (the stored value is counted up to `counted_until`)."""
    if timer.running and timer.stopped_at is None and now > timer.counted_until:
        from .businesstime import between

        calendar = calendar_of_version(timer.calendar_version)
        return timer.elapsed + between(calendar, timer.counted_until, now)
    return timer.elapsed


def bar_colour(percent: float, breached: bool) -> str:
    if breached or percent >= 90:
        return "red"
    if percent >= 75:
        return "orange"
    if percent >= 50:
        return "yellow"
    return "green"


def clock(timer, now: datetime | None = None) -> Clock:
    now = now or timezone.now()
    elapsed = elapsed_now(timer, now)
    percent = 100.0 if timer.goal <= timedelta(0) else round(elapsed / timer.goal * 100, 1)
    live = timer.state in (TimerState.RUNNING, TimerState.PAUSED, TimerState.BREACHED) and not timer.stopped_at
    # Breached once elapsed exceeds the goal: reaching it exactly (at an interval's end) is not.
    breached = timer.breached_at is not None or (live and timer.running and elapsed > timer.goal)
    return Clock(timer=timer, elapsed=elapsed, remaining=max(timer.goal - elapsed, timedelta(0)),
                 percent=percent, bar_colour=bar_colour(percent, breached),
                 state_colour=TimerState(timer.state).colour, overdue=breached)


def business_hours(duration: timedelta) -> str:
    """"37 h 30 min", "8 h", "45 min": a goal in business hours and minutes. No days: a business
    day is the calendar's working hours, not 24 hours, so "1 d 13 h 30 min" would mislead."""
    seconds = round(max(duration, timedelta(0)).total_seconds())
    if seconds < 60:
        return humanize(duration)
    hours, minutes = divmod(round(seconds / 60), 60)
    parts = []
    if hours:
        parts.append(_("%(count)s h") % {"count": hours})
    if minutes:
        parts.append(_("%(count)s min") % {"count": minutes})
    return " ".join(parts)


@dataclass
class LiveNumbers:
    """A timer's numbers as of `as_of` (not as of its last change or sweep), for the API."""

    as_of: datetime
    goal: timedelta
    elapsed: timedelta
    remaining: timedelta
    percent: float
    paused_business: timedelta
    paused_actual: timedelta
    due_at: datetime | None
    breached_at: datetime | None


PAUSE_ENDS = (TimerEventKind.RESUME, TimerEventKind.STOP, TimerEventKind.CANCEL, TimerEventKind.REOPEN)


def paused_intervals(events, now: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) intervals during which the clock was paused, from the events; the last one
    ends `now` while the clock is still paused."""
    intervals, since = [], None
    for event in events:
        if event.kind == TimerEventKind.PAUSE:
            since = since or event.at
        elif event.kind in PAUSE_ENDS and since is not None:
            intervals.append((since, max(event.at, since)))
            since = None
    if since is not None:
        intervals.append((since, max(now, since)))
    return intervals


def live_numbers(timer, now: datetime | None = None) -> LiveNumbers:
    """Elapsed, remaining and percentage counted up to `now` on the timer's calendar version,
    and the time spent paused: business (the same calendar) and actual (wall-clock). Reads the
    prefetched `event_list` when there is one (else one query), and nothing else."""
    from .businesstime import between

    now = now or timezone.now()
    live = clock(timer, now)
    calendar = calendar_of_version(timer.calendar_version)
    business = actual = timedelta(0)
    for start, end in paused_intervals(events_of(timer), now):
        actual += end - start
        business += between(calendar, start, end)
    return LiveNumbers(as_of=now, goal=timer.goal, elapsed=live.elapsed, remaining=live.remaining,
                       percent=live.percent, paused_business=business, paused_actual=actual,
                       due_at=timer.due_at, breached_at=timer.breached_at)


def humanize(duration: timedelta) -> str:
    """"2 d 3 h 05 min", "45 min", "30 s": business durations for people to read."""
    seconds = round(max(duration, timedelta(0)).total_seconds())
    if seconds >= 60:
        seconds = round(seconds / 60) * 60  # minutes are what people read
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(count)s d") % {"count": days})
    if hours:
        parts.append(_("%(count)s h") % {"count": hours})
    if minutes:
        parts.append(_("%(count)s min") % {"count": minutes})
    if not parts:
        parts.append(_("%(count)s s") % {"count": seconds})
    return " ".join(parts)


def event_detail(event) -> str:
    """What an event's data adds to its kind and cause, in words."""
    data = event.data or {}
    if event.kind == TimerEventKind.PAUSE and data.get("reason"):
        return data["reason"]
    if event.kind == TimerEventKind.THRESHOLD and "percent" in data:
        return _("%(percent)s %% of the goal") % {"percent": data["percent"]}
    if event.kind == TimerEventKind.STOP and data.get("outcome"):
        outcome = str(TimerState(data["outcome"]).label)
        if data.get("why") in STOP_REASONS:
            return f"{outcome}: {STOP_REASONS[data['why']]}"
        return outcome
    if event.kind == TimerEventKind.RETARGET and "to_goal" in data:
        detail = _("goal %(before)s → %(after)s") % {"before": humanize(timedelta(seconds=data["from_goal"])),
                                                      "after": humanize(timedelta(seconds=data["to_goal"]))}
        if "to_calendar" in data and (data["from_calendar"], data["from_calendar_version"]) != (
                data["to_calendar"], data["to_calendar_version"]):
            detail += ", " + _("calendar %(before)s → %(after)s") % {
                "before": f"#{data['from_calendar']} v{data['from_calendar_version']}",
                "after": f"#{data['to_calendar']} v{data['to_calendar_version']}"}
        return detail
    if event.kind == TimerEventKind.START and "goal" in data:
        detail = _("goal %(goal)s, calendar version %(version)s") % {
            "goal": humanize(timedelta(seconds=data["goal"])), "version": data.get("calendar_version")}
        if data.get("team_name"):
            detail += ", " + _("group %(team)s") % {"team": data["team_name"]}
        if (data.get("cycle") or 1) > 1:
            detail += ", " + _("cycle %(number)s") % {"number": data["cycle"]}
            if data.get("restart") in RESTART_REASONS:
                detail += " " + str(RESTART_REASONS[data["restart"]])
        return detail
    if event.kind == TimerEventKind.RECOMPUTE and "after" in data:
        return _("by %(user)s") % {"user": data.get("by", "")}
    return ""


__all__ = ["Clock", "LiveNumbers", "business_hours", "cycle_text", "event_detail", "humanize", "live_numbers",
           "paused_intervals", "Explanation", "Interval", "clock", "explain", "percent_of_goal", "running_intervals",
           "scope_text"]
