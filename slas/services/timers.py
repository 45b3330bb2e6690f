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
from ..choices import LIVE_STATES, ClockSignal, CycleCounting, Metric, Restart, TargetKind, TimerEventKind, TimerState
from ..goals import goal_for
from ..models import Calendar, Target, Timer, TimerEvent
from ..registry import Facts, pauses, subject_for
from .calendars import current_version
from .targets import select_targets_by_kind

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


def timers_sync(record, *, cause: str, now=None, created: bool = False, signal: str = "") -> list[Timer]:
    """Bring the record's timers in line with the record as it now is. Call it in the
    transaction of the change, with the record's row locked (the subject's services do), so UI
    and API never show a stale clock. Starts missing timers, pauses and resumes by state, stops
    at response or resolution, cancels on cancellation, re-targets (keeping the elapsed time)
    when another target now matches, and restarts a stopped clock as its target says (continue
    it, or end its cycle and start the next: see `_restart`).

    Timers are keyed by metric and scope: the customer's service level (one per metric) and,
    per assignment group, the operational level timers of the group that holds the record
    (started when it gets the record, stopped when it hands it on). `signal` (ClockSignal) says
    what happened that the record's fields do not show: a reopening, a customer reply, a reply
    of the service desk. Returns the timers it looked at: the record's current ones, a cycle
    ended now followed by the one that succeeds it.
    `created`: the record was inserted in this transaction, so it has no timers yet to look for."""
    subject = subject_for(record)
    if subject is None:
        return []
    now = now or timezone.now()
    facts = subject.facts(record)
    content_type = ContentType.objects.get_for_model(record)
    current = {} if created else {t.key: t for t in Timer.objects.select_for_update(of=("self",)).select_related(
        "target", "calendar_version").filter(content_type=content_type, object_id=record.pk, is_current=True)}
    chosen = select_targets_by_kind(subject.name, facts)
    service_level, operational = chosen[TargetKind.SLA], chosen[TargetKind.OLA]
    # The customer's keys, the held group's keys, then other groups' clocks still current.
    keys = [(metric, None) for metric in Metric.values]
    keys += [(metric, facts.team_id) for metric in Metric.values if metric in operational]
    keys += sorted((key for key in current if key[1] is not None and key not in keys), key=lambda k: (k[1], k[0]))
    timers, versions, events, new = [], {}, [], []
    for key in keys:
        metric, team = key
        if team is None:
            target = service_level.get(metric)
        else:
            target = operational.get(metric) if team == facts.team_id else None
        timer = current.get(key)
        started = []
        if timer is None:
            if target is None or not _may_start(team, facts):
                continue
            # The group got the record now (at its logging when it is logged with one).
            start = min(facts.opened_at, now) if team is None or created else now
            timer, started = _start(record, content_type, metric, target, facts, start, now, cause, versions,
                                    team=team)
        restart = _follow(timer, target, facts, now, cause, started, events, new, signal)
        timers.append(timer)
        if restart:
            following, started = _start(record, content_type, metric, target, facts, now, now, cause, versions,
                                        team=team, cycle=timer.cycle + 1, why=restart)
            _follow(following, target, facts, now, cause, started, events, new, signal)
            timers.append(following)
    # One statement for the timers started now, one for every timer's events (in order); the
    # events take their timer's id once it is inserted. A cycle ended now was saved (no longer
    # current) before its successor is inserted.
    Timer.objects.bulk_create(new)
    TimerEvent.objects.bulk_create(events)
    return timers


def _may_start(team, facts: Facts) -> bool:
    """A customer's clock starts for any record not cancelled; a group's when it holds an open one."""
    if facts.cancelled:
        return False
    return team is None or (team == facts.team_id and facts.resolved_at is None)


def _snapshot(timer, facts: Facts) -> None:
    timer.service_id_snapshot, timer.customer_id = facts.service_id, facts.customer_id
    timer.team_id, timer.priority = facts.team_id, facts.priority


def _start(record, content_type, metric, target, facts, start, now, cause, versions: dict, *, team=None,
           cycle: int = 1, why: str = "") -> tuple[Timer, list]:
    """A new timer (cycle `cycle` of its key, from `start`) and its first steps, not saved yet:
    `_follow` saves it once with its own steps. The calendar's current version comes with the
    target (`select_targets`), else it is read once per calendar per sync (`versions`). `why`:
    what restarted the clock (for a later cycle)."""
    version = getattr(target, "calendar_version_now", None)
    if version is None:
        if target.calendar_id not in versions:
            versions[target.calendar_id] = current_version(target.calendar)
        version = versions[target.calendar_id]
    calendar = business_calendar(version.definition)
    goal = goal_for(target, calendar, start)
    timer = Timer(content_type=content_type, object_id=record.pk, metric=metric, target=target,
                  calendar_version=version, goal=goal, started_at=start, elapsed=timedelta(0),
                  counted_until=start, kind=TargetKind.OLA if team is not None else TargetKind.SLA,
                  ola_team_id=team, cycle=cycle,
                  counts=cycle == 1 or target.cycle_counting != CycleCounting.FIRST)
    _snapshot(timer, facts)
    data = {"target": target.pk, "target_version": target.version, "calendar_version": version.number,
            "goal": goal.total_seconds(), "goal_kind": target.goal_kind, "cycle": cycle}
    if why:
        data["restart"] = why
    if team is not None:
        data["team"] = team
        data["team_name"] = _team_name(team)
    steps = [engine.Step(TimerEventKind.START, start, cause, timedelta(0), data)]
    # The due instant from the start, before counting: a timer started late (an incident
    # logged with a past opening) is breached at once if its goal has already passed.
    timer.due_at = add(calendar, start, goal)
    engine.count(timer, calendar, now)
    steps += engine.detect_breach(timer, calendar, now, cause)
    return timer, steps


def _team_name(team_id) -> str:
    from itsm.models import Team

    return Team.objects.filter(pk=team_id).values_list("name", flat=True).first() or ""


def _stop_instant(timer: Timer, facts: Facts, now, signal: str) -> tuple:
    """(instant, why) at which the record stops this cycle's clock, or (None, {}).

    The customer's response: the first response for cycle 1; a later cycle (started by a
    customer reply or a reopening) stops at the service desk's next reply, or the resolution.
    The resolution: the record resolved. A group's (OLA) timer stops when the group hands the
    record on, when the record is resolved and, for its response, when a member of the group
    takes it (an assignee is set)."""
    if timer.kind == TargetKind.OLA:
        if facts.team_id != timer.ola_team_id:
            return now, {"why": "handed_on"}
        if facts.resolved_at is not None:
            return facts.resolved_at, {"why": "resolved"}
        if timer.metric == Metric.RESPONSE and facts.assignee_id is not None:
            return now, {"why": "taken"}
        return None, {}
    if timer.metric == Metric.RESPONSE:
        if timer.cycle == 1:
            return facts.responded_at, {}
        if signal == ClockSignal.RESPONSE:
            return now, {"why": "answered"}
        if facts.resolved_at is not None:
            return facts.resolved_at, {"why": "resolved"}
        return None, {}
    return facts.resolved_at, {}


def _restart(timer: Timer, facts: Facts, signal: str) -> str:
    """How a stopped (met or breached) clock starts again now, as its target's `restart` says:
    "continue" (the same cycle continues), a reason for a new cycle ("reopen", "customer_reply",
    "group": the group got the record back), or "" (it stays stopped).

    - The customer's resolution starts again when the record is no longer resolved (reopened).
    - The customer's response starts again on a reopening (signal) for "reopen", on a customer
      reply (signal) for "customer_reply"; never while the record is resolved.
    - A group's timer starts again when the group holds the open record again (and, for its
      response, nobody of it has taken it): "continue", or a new cycle for "reopen"."""
    if timer.stopped_at is None or timer.state == TimerState.CANCELLED or facts.cancelled:
        return ""
    policy = timer.target.restart
    if facts.resolved_at is not None or policy == Restart.NONE:
        return ""
    if timer.kind == TargetKind.OLA:
        if facts.team_id != timer.ola_team_id or (timer.metric == Metric.RESPONSE and facts.assignee_id is not None):
            return ""
        return {Restart.CONTINUE: "continue", Restart.REOPEN: "group"}.get(policy, "")
    if timer.metric == Metric.RESOLUTION:
        return {Restart.CONTINUE: "continue", Restart.REOPEN: "reopen"}.get(policy, "")
    if policy == Restart.REOPEN and signal == ClockSignal.REOPENED:
        return "reopen"
    if policy == Restart.CUSTOMER_REPLY and signal == ClockSignal.CUSTOMER_REPLY:
        return "customer_reply"
    return ""


def _follow(timer: Timer, target: Target | None, facts: Facts, now, cause: str, started=(),
            events: list | None = None, new: list | None = None, signal: str = "") -> str:
    """Apply the record's state to the timer and save it, with `started` (the steps of a timer
    `_start` just made) before its own; a timer not saved yet has no escalations to look up.
    Returns why a new cycle starts now ("" for none): this one is then saved as no longer
    current (and no longer counted when only the last cycle counts), and the caller starts the
    next on `target`."""
    calendar = _calendar_of(timer)
    steps = list(started)
    live = timer.stopped_at is None and timer.state != TimerState.CANCELLED
    stop_at, stop_data = _stop_instant(timer, facts, now, signal) if live else (None, {})
    # Count up to the stop when the record stopped the clock earlier than now (a response or
    # resolution instant of the past), so the stop is not moved to now.
    horizon = min(stop_at, now) if (live and stop_at is not None and not facts.cancelled) else now
    if live:
        engine.count(timer, calendar, horizon)
        steps += engine.detect_breach(timer, calendar, horizon, cause)
    if target is not None and target.lineage != timer.target.lineage and live:
        calendar, moved = _retarget(timer, target, calendar, horizon, cause)
        steps += moved
    cycle = ""
    if facts.cancelled:
        steps += engine.cancel(timer, calendar, now, cause=cause)
    elif not live:
        restart = _restart(timer, facts, signal)
        if restart == "continue":
            steps += engine.reopen(timer, calendar, now, cause=cause)
            _pause_or_resume(timer, calendar, facts, now, cause, steps)
        elif restart and target is not None:
            cycle = restart
            timer.is_current = False
            if target.cycle_counting == CycleCounting.LAST:
                timer.counts = False
    elif stop_at is not None:
        steps += engine.stop(timer, calendar, stop_at, cause=cause, data=stop_data)
    else:
        _pause_or_resume(timer, calendar, facts, now, cause, steps)
    if timer.is_live:
        _snapshot(timer, facts)
    _save(timer, steps, events=events, new=new)
    return cycle


def _pause_or_resume(timer, calendar, facts: Facts, now, cause: str, steps: list) -> None:
    if timer.stopped_at is not None or timer.state == TimerState.CANCELLED:
        return
    if pauses(timer.target.pause_states, facts):
        if timer.running:
            steps += engine.pause(timer, calendar, now, reason=facts.state_label, cause=cause)
        elif timer.pause_reason != facts.state_label:
            timer.pause_reason = facts.state_label
    else:
        steps += engine.resume(timer, calendar, now, cause=cause)


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
