"""Timers: started, paused, resumed, stopped and re-targeted with the record they time
(`timers_sync`, in the record change's transaction), and recomputed on request."""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.permissions import ADMIN_ROLES, require

from .. import engine
from ..businesstime import add
from ..calendars import business_calendar
from ..choices import LIVE_STATES, Metric, TimerEventKind
from ..goals import goal_for
from ..models import Calendar, Target, Timer, TimerEvent
from ..registry import Facts, pauses, subject_for
from .calendars import current_version
from .targets import select_targets

RECORD = "record"  # the escalation "action" that marks a threshold as handled


def _handled(timer) -> set[int]:
    if timer.pk is None:
        return set()
    return set(timer.escalations.filter(action=RECORD).values_list("threshold", flat=True))


def _calendar_of(timer):
    return business_calendar(timer.calendar_version.definition)


def _save(timer, steps, *, handled=None, events: list | None = None, new: list | None = None) -> None:
    """Schedule and save the timer and write its steps as events (or add them to `events`,
    for the caller to write with other timers' in one statement). With `new`, a timer not
    saved yet is added to it instead, for the caller to insert with the others in one
    statement before the events."""
    calendar = _calendar_of(timer)
    engine.schedule(timer, calendar, thresholds=timer.target.thresholds,
                    handled=_handled(timer) if handled is None else handled)
    timer.updated_at = timezone.now()
    if new is not None and timer.pk is None:
        new.append(timer)
    else:
        timer.save()
    rows = [TimerEvent(timer=timer, kind=s.kind, at=s.at, cause=s.cause[:300], elapsed=s.elapsed, data=s.data)
            for s in steps]
    if events is None:
        TimerEvent.objects.bulk_create(rows)
    else:
        events += rows


def timers_sync(record, *, cause: str, now=None, created: bool = False) -> list[Timer]:
    """Bring the record's timers in line with the record as it now is. Call it in the
    transaction of the change (the subject's services do), so UI and API never show a stale
    clock. Starts missing timers, pauses and resumes by state, stops at response or
    resolution, continues on reopen, cancels on cancellation, re-targets (keeping the
    elapsed time) when another target now matches. Returns the record's timers. `created`:
    the record was inserted in this transaction, so it has no timers yet to look for."""
    subject = subject_for(record)
    if subject is None:
        return []
    now = now or timezone.now()
    facts = subject.facts(record)
    content_type = ContentType.objects.get_for_model(record)
    existing = {} if created else {t.metric: t for t in Timer.objects.select_for_update(of=("self",)).select_related(
        "target", "calendar_version").filter(content_type=content_type, object_id=record.pk)}
    chosen = select_targets(subject.name, facts)
    timers, versions, events, new = [], {}, [], []
    for metric in Metric.values:
        target = chosen.get(metric)
        timer = existing.get(metric)
        started = []
        if timer is None and target is not None and not facts.cancelled:
            timer, started = _start(record, content_type, metric, target, facts, now, cause, versions)
        if timer is None:
            continue
        _follow(timer, target, facts, now, cause, started, events, new)
        timers.append(timer)
    # One statement for the timers started now, one for every timer's events (in order); the
    # events take their timer's id once it is inserted.
    Timer.objects.bulk_create(new)
    TimerEvent.objects.bulk_create(events)
    return timers


def _snapshot(timer, facts: Facts) -> None:
    timer.service_id_snapshot, timer.customer_id = facts.service_id, facts.customer_id
    timer.team_id, timer.priority = facts.team_id, facts.priority


def _start(record, content_type, metric, target, facts, now, cause, versions: dict) -> tuple[Timer, list]:
    """A new timer and its first steps, not saved yet: `_follow` saves it once with its own
    steps. The calendar's current version comes with the target (`select_targets`), else it
    is read once per calendar per sync (`versions`)."""
    version = getattr(target, "calendar_version_now", None)
    if version is None:
        if target.calendar_id not in versions:
            versions[target.calendar_id] = current_version(target.calendar)
        version = versions[target.calendar_id]
    start = min(facts.opened_at, now)
    calendar = business_calendar(version.definition)
    goal = goal_for(target, calendar, start)
    timer = Timer(content_type=content_type, object_id=record.pk, metric=metric, target=target,
                  calendar_version=version, goal=goal, started_at=start, elapsed=timedelta(0),
                  counted_until=start)
    _snapshot(timer, facts)
    steps = [engine.Step(TimerEventKind.START, start, cause, timedelta(0),
                         {"target": target.pk, "target_version": target.version, "calendar_version": version.number,
                          "goal": goal.total_seconds(), "goal_kind": target.goal_kind})]
    # The due instant from the start, before counting: a timer started late (an incident
    # logged with a past opening) is breached at once if its goal has already passed.
    timer.due_at = add(calendar, start, goal)
    engine.count(timer, calendar, now)
    steps += engine.detect_breach(timer, calendar, now, cause)
    return timer, steps


def _follow(timer: Timer, target: Target | None, facts: Facts, now, cause: str, started=(),
            events: list | None = None, new: list | None = None) -> None:
    """Apply the record's state to the timer and save it, with `started` (the steps of a timer
    `_start` just made) before its own; a timer not saved yet has no escalations to look up."""
    calendar = _calendar_of(timer)
    steps = list(started)
    live = timer.stopped_at is None and timer.state != "cancelled"
    stop_at = facts.responded_at if timer.metric == Metric.RESPONSE else facts.resolved_at
    # Count up to the stop when the record stopped the clock earlier than now (a response or
    # resolution instant of the past), so the stop is not moved to now.
    horizon = min(stop_at, now) if (live and stop_at is not None and not facts.cancelled) else now
    if live:
        engine.count(timer, calendar, horizon)
        steps += engine.detect_breach(timer, calendar, horizon, cause)
    if target is not None and target.lineage != timer.target.lineage and live:
        calendar, moved = _retarget(timer, target, calendar, horizon, cause)
        steps += moved
    if facts.cancelled:
        steps += engine.cancel(timer, calendar, now, cause=cause)
    elif stop_at is not None:
        steps += engine.stop(timer, calendar, stop_at, cause=cause)
    else:
        if timer.stopped_at and timer.metric == Metric.RESOLUTION and timer.target.reopen_continues \
                and timer.state != "cancelled":
            steps += engine.reopen(timer, calendar, now, cause=cause)
        if timer.stopped_at is None and timer.state != "cancelled":
            if pauses(timer.target.pause_states, facts):
                if timer.running:
                    steps += engine.pause(timer, calendar, now, reason=facts.state_label, cause=cause)
                elif timer.pause_reason != facts.state_label:
                    timer.pause_reason = facts.state_label
            else:
                steps += engine.resume(timer, calendar, now, cause=cause)
    if timer.is_live:
        _snapshot(timer, facts)
    _save(timer, steps, events=events, new=new)


def _retarget(timer: Timer, target: Target, calendar, at, cause: str) -> tuple:
    """Move a live timer to `target` at `at`: its goal and its calendar (the target's current
    calendar version). Elapsed time is recounted as SLA_RETARGET_RECOUNT says: "start"
    (retroactive: every running interval since the start counted on the new calendar) or
    "change" (kept as counted on the old calendar; the new one counts from the change). A goal
    already exceeded is breached here, at the instant it was crossed, after its warnings.
    Returns the calendar to count on from now, and the steps."""
    version = getattr(target, "calendar_version_now", None)
    if version is None or version.calendar_id != target.calendar_id:
        version = current_version(target.calendar)
    previous = timer.calendar_version
    new_calendar = calendar if version.pk == previous.pk else business_calendar(version.definition)
    retroactive = settings.SLA_RETARGET_RECOUNT == "start"
    intervals = running_intervals(timer, at) if timer.pk is not None else []
    elapsed = None
    if retroactive and version.pk != previous.pk:
        elapsed = sum((engine_between(new_calendar, start, end) for start, end in intervals), timedelta(0))
    steps = engine.retarget(timer, calendar, at, goal=goal_for(target, new_calendar, timer.started_at), cause=cause, elapsed=elapsed, data={
        "target": target.pk, "target_version": target.version,
        "from_calendar": previous.calendar_id, "from_calendar_version": previous.number,
        "to_calendar": version.calendar_id, "to_calendar_version": version.number,
        "recount": "start" if retroactive else "change"})
    timer.target, timer.calendar_version = target, version
    # Where the new goal was crossed: over the running intervals on the calendar the elapsed
    # time was counted with (the new one when recounted from the start, else the old one).
    steps += engine.breach_retroactively(timer, new_calendar if retroactive else calendar, intervals,
                                         target.thresholds, _handled(timer), cause)
    return new_calendar, steps


# --- recompute and explanation ----------------------------------------------------------------

@transaction.atomic
def timers_recompute(*, actor, timers, reason: str) -> int:
    """Move live timers to the current version of their target and calendar, recounting the
    elapsed time of their running intervals with the new calendar. Each timer records what
    changed (versions, goal, elapsed before and after). Returns how many changed."""
    require(actor, ADMIN_ROLES)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the timers are recomputed.")})
    changed = 0
    now = timezone.now()
    for timer in timers:
        timer = (Timer.objects.select_for_update(of=("self",)).select_related("target", "calendar_version")
                 .get(pk=timer.pk))
        if not timer.is_live:
            continue
        target = Target.objects.get(lineage=timer.target.lineage, is_current=True)
        version = current_version(target.calendar)
        if target.pk == timer.target_id and version.pk == timer.calendar_version_id:
            continue
        # "Before" is the live clock (counted up to now on the old calendar), not the stored
        # elapsed time of the last change or sweep.
        engine.count(timer, _calendar_of(timer), now)
        before = {"target_version": timer.target.version, "calendar_version": timer.calendar_version.number,
                  "goal": timer.goal.total_seconds(), "elapsed": timer.elapsed.total_seconds()}
        calendar = business_calendar(version.definition)
        timer.elapsed = sum((engine_between(calendar, start, end) for start, end in running_intervals(timer, now)),
                            timedelta(0))
        timer.target, timer.calendar_version = target, version
        timer.goal = goal_for(target, calendar, timer.started_at)
        timer.counted_until = now
        if timer.breached_at and timer.elapsed < timer.goal:
            timer.breached_at = None
            timer.state = "running" if timer.running else "paused"
        after = {"target_version": target.version, "calendar_version": version.number,
                 "goal": timer.goal.total_seconds(), "elapsed": timer.elapsed.total_seconds()}
        _save(timer, [engine.Step(TimerEventKind.RECOMPUTE, now, reason.strip(), timer.elapsed,
                                  {"before": before, "after": after, "by": actor.username})])
        changed += 1
    return changed


def engine_between(calendar, start, end):
    from ..businesstime import between

    return between(calendar, start, end)


def running_intervals(timer: Timer, now) -> list[tuple]:
    """The [start, end) intervals during which the clock ran, from the timer's events."""
    intervals, running_since = [], None
    for event in timer.events.order_by("at", "id"):
        if event.kind in (TimerEventKind.START, TimerEventKind.RESUME, TimerEventKind.REOPEN):
            running_since = running_since or event.at
        elif event.kind in (TimerEventKind.PAUSE, TimerEventKind.STOP, TimerEventKind.CANCEL):
            if running_since is not None:
                intervals.append((running_since, event.at))
                running_since = None
    if running_since is not None:
        intervals.append((running_since, now))
    return intervals


def live_timers_of(record):
    return Timer.objects.filter(content_type=ContentType.objects.get_for_model(record), object_id=record.pk,
                                state__in=LIVE_STATES)


def outdated_timers(*, calendar: Calendar | None = None, target: Target | None = None):
    """Live timers computed with an older version of `calendar` (or of `target`'s lineage)
    than the current one: the timers a recompute would move."""
    timers = Timer.objects.filter(state__in=LIVE_STATES, stopped_at__isnull=True)
    if calendar is not None:
        latest = calendar.versions.order_by("-number").values_list("pk", flat=True).first()
        return timers.filter(calendar_version__calendar=calendar).exclude(calendar_version_id=latest)
    return timers.filter(target__lineage=target.lineage, target__is_current=False)


def timers_recompute_outdated(*, actor, reason: str, calendar: Calendar | None = None,
                              target: Target | None = None) -> int:
    """Recompute (see `timers_recompute`) the live timers on an older version of `calendar`
    or of `target`. Administrators only; a reason is required. Returns how many changed."""
    return timers_recompute(actor=actor, timers=list(outdated_timers(calendar=calendar, target=target)),
                            reason=reason)
