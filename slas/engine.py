"""The clock arithmetic of one timer, in memory: count, pause, resume, stop, re-target,
schedule the next check. Services lock, call these, and save; nothing here touches the
database, so every rule is testable on its own.

Rules (also in docs/slas.md):
- `elapsed` grows only while the clock runs, by business time of the timer's calendar.
- `due_at` is the instant at which elapsed reaches the goal if the clock keeps running; it is
  unknown (None) while the clock is paused.
- A timer is breached when elapsed business time exceeds the goal, not when it equals it: its
  breach instant is the first instant at which business time beyond the goal accrues, i.e.
  `next_business_instant(due_at)` — `due_at` itself when the goal ends inside a working
  interval, the next interval's start when it ends exactly at an interval's end (a goal ending
  at 17:00 on a 09:00–17:00 calendar is breached only after 09:00 the next working day).
  Elapsed at the breach instant equals the goal and is exceeded right after it. Stopped before
  any business time beyond the goal accrued, the timer is met.
- Thresholds (percent of the goal) follow the same rule: crossed when elapsed > goal ×
  percent; the breach is threshold 100. `next_check_at` is when the sweep must look next: the first threshold not
  yet handled, or now if one is already crossed, or never (a stopped clock escalates no more).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .businesstime import BusinessCalendar, NoWorkingTime, add, between, next_business_instant
from .choices import BREACH, TimerEventKind, TimerState


@dataclass
class Step:
    """A change of the clock, to be recorded as a TimerEvent."""

    kind: str
    at: datetime
    cause: str
    elapsed: timedelta
    data: dict = field(default_factory=dict)


def count(timer, calendar: BusinessCalendar, now: datetime) -> None:
    """Bring `elapsed` up to `now`."""
    if now <= timer.counted_until:
        return
    if timer.running:
        timer.elapsed += between(calendar, timer.counted_until, now)
    timer.counted_until = now


def exceeded_after(calendar: BusinessCalendar, reached_at: datetime | None) -> datetime | None:
    """The instant after which business time beyond an amount reached at `reached_at` accrues:
    `reached_at` inside a working interval, else the next working instant (None if none)."""
    if reached_at is None:
        return None
    try:
        return next_business_instant(calendar, reached_at)
    except NoWorkingTime:
        return None


def breach_at(timer, calendar: BusinessCalendar) -> datetime | None:
    """When the running clock will exceed the goal (its breach instant), from `due_at`."""
    return exceeded_after(calendar, timer.due_at)


def detect_breach(timer, calendar: BusinessCalendar, now: datetime, cause: str = "") -> list[Step]:
    """Breach a running timer whose elapsed time exceeds its goal as of `now` (counted)."""
    if not timer.running or timer.breached_at is not None or timer.due_at is None:
        return []
    instant = breach_at(timer, calendar)
    if instant is None or now <= instant:
        return []
    timer.breached_at = instant
    timer.state = TimerState.BREACHED
    return [Step(TimerEventKind.BREACH, instant, cause, timer.goal, {"due_at": timer.due_at.isoformat()})]


def pause(timer, calendar, now, *, reason: str, cause: str) -> list[Step]:
    if not timer.running or timer.stopped_at:
        return []
    count(timer, calendar, now)
    steps = detect_breach(timer, calendar, now, cause)
    timer.running, timer.pause_reason, timer.due_at = False, reason, None
    if timer.state == TimerState.RUNNING:
        timer.state = TimerState.PAUSED
    return [*steps, Step(TimerEventKind.PAUSE, now, cause, timer.elapsed, {"reason": reason})]


def resume(timer, calendar, now, *, cause: str) -> list[Step]:
    if timer.running or timer.stopped_at:
        return []
    count(timer, calendar, now)
    timer.running, timer.pause_reason = True, ""
    if timer.state == TimerState.PAUSED:
        timer.state = TimerState.RUNNING
    return [Step(TimerEventKind.RESUME, now, cause, timer.elapsed)]


def stop(timer, calendar, at, *, cause: str, data: dict | None = None) -> list[Step]:
    """Stop the clock at `at` (the response or resolution instant, a group handing the record
    on): met or breached for good. `data` adds to the event's (why it stopped)."""
    if timer.stopped_at:
        return []
    at = max(at, timer.counted_until)
    count(timer, calendar, at)
    steps = detect_breach(timer, calendar, at, cause)
    timer.running, timer.stopped_at, timer.pause_reason = False, at, ""
    timer.state = TimerState.BREACHED if timer.breached_at else TimerState.MET
    return [*steps, Step(TimerEventKind.STOP, at, cause, timer.elapsed, {"outcome": timer.state, **(data or {})})]


def reopen(timer, calendar, now, *, cause: str) -> list[Step]:
    """The record was reopened: the stopped clock continues from its elapsed time."""
    if not timer.stopped_at:
        return []
    timer.stopped_at, timer.counted_until, timer.running = None, max(now, timer.counted_until), True
    timer.state = TimerState.BREACHED if timer.breached_at else TimerState.RUNNING
    return [Step(TimerEventKind.REOPEN, now, cause, timer.elapsed)]


def cancel(timer, calendar, now, *, cause: str) -> list[Step]:
    if timer.stopped_at or timer.state == TimerState.CANCELLED:
        return []
    count(timer, calendar, now)
    timer.running, timer.stopped_at, timer.state, timer.due_at = False, now, TimerState.CANCELLED, None
    return [Step(TimerEventKind.CANCEL, now, cause, timer.elapsed)]


def retarget(timer, calendar, now, *, goal: timedelta, cause: str, data: dict,
             elapsed: timedelta | None = None) -> list[Step]:
    """A new goal (another target matched, e.g. after a priority change). Elapsed is kept as
    counted on `calendar` (the old one) up to `now`, unless `elapsed` (recounted by the caller
    on the new calendar) is given."""
    count(timer, calendar, now)
    previous = timer.goal
    data = {**data, "elapsed_before": timer.elapsed.total_seconds()}
    if elapsed is not None:
        timer.elapsed = elapsed
    timer.goal = goal
    timer.due_at = None  # recomputed by schedule() for the new goal
    if timer.breached_at and timer.stopped_at is None and timer.elapsed <= goal:
        # The new, longer goal is not exceeded: the earlier breach no longer stands.
        timer.breached_at = None
        timer.state = TimerState.RUNNING if timer.running else TimerState.PAUSED
    return [Step(TimerEventKind.RETARGET, now, cause, timer.elapsed,
                 {"from_goal": previous.total_seconds(), "to_goal": goal.total_seconds(), **data})]


def exceeded_at(calendar: BusinessCalendar, intervals, amount: timedelta) -> datetime | None:
    """The first instant after which the business time counted over the clock's running
    `intervals` ([start, end) pairs, in order) exceeds `amount`; None if it never does."""
    total = timedelta(0)
    for start, end in intervals:
        length = between(calendar, start, end)
        if total + length > amount:
            return exceeded_after(calendar, add(calendar, start, amount - total))
        total += length
    return None


def breach_retroactively(timer, calendar: BusinessCalendar, intervals, thresholds, handled: set[int],
                         cause: str) -> list[Step]:
    """A timer whose (new) goal is already exceeded: breach it now, at the instant the goal was
    crossed over its running `intervals`, after the warning thresholds crossed before it, each
    at its own instant (in order). Those threshold events say so (`retroactive`); the sweep
    still escalates them and the breach, and does not record them again."""
    if timer.breached_at is not None or timer.stopped_at is not None or timer.elapsed <= timer.goal:
        return []
    instant = exceeded_at(calendar, intervals, timer.goal)
    if instant is None:
        return []
    steps = []
    for percent in sorted(p for p in thresholds if p < BREACH and p not in handled):
        amount = threshold_goal(timer, percent)
        reached = exceeded_at(calendar, intervals, amount)
        if reached is not None:
            steps.append(Step(TimerEventKind.THRESHOLD, reached, cause, amount,
                              {"percent": percent, "retroactive": True}))
    timer.breached_at = instant
    timer.state = TimerState.BREACHED
    steps.append(Step(TimerEventKind.BREACH, instant, cause, timer.goal, {"retroactive": True}))
    return steps


def threshold_goal(timer, percent: int) -> timedelta:
    return timer.goal * percent / 100


def crossed(timer, thresholds) -> list[int]:
    """Thresholds reached as of `counted_until` (the breach as soon as it is detected)."""
    reached = [p for p in thresholds if p < BREACH and timer.elapsed > threshold_goal(timer, p)]
    if timer.breached_at is not None:
        reached.append(BREACH)
    return sorted(reached)


def schedule(timer, calendar: BusinessCalendar, *, thresholds, handled: set[int]) -> None:
    """Set `due_at` and `next_check_at` from the clock as counted."""
    if timer.running and timer.stopped_at is None:
        remaining = timer.goal - timer.elapsed
        if timer.breached_at is None:
            timer.due_at = add(calendar, timer.counted_until, remaining) if remaining > timedelta(0) \
                else (timer.due_at or timer.counted_until)
    if timer.stopped_at is not None:
        # A stopped (or cancelled) clock escalates no more: warnings about a record that is
        # already answered or resolved would be noise. Its breach stays on the timer.
        timer.next_check_at = None
        return
    pending = [p for p in crossed(timer, thresholds) if p not in handled]
    if pending:
        timer.next_check_at = timer.counted_until
        return
    if not timer.running:
        timer.next_check_at = None
        return
    upcoming = []
    for percent in thresholds:
        if percent in handled:
            continue
        if percent == BREACH:
            if timer.breached_at is None:
                upcoming.append(breach_at(timer, calendar))
        else:
            upcoming.append(exceeded_after(calendar, add(calendar, timer.counted_until,
                                                         threshold_goal(timer, percent) - timer.elapsed)))
    upcoming = [instant for instant in upcoming if instant is not None]
    timer.next_check_at = min(upcoming) if upcoming else None


def percent_of_goal(timer) -> float:
    if timer.goal <= timedelta(0):
        return 100.0
    return round(timer.elapsed / timer.goal * 100, 1)
