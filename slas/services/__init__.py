"""Every write of service level management: calendars and their versions, agreements,
targets (versioned), and the timers the engine keeps for registered records.

Calendars, agreements and targets are the administrators'. Timers are written only here:
`timers_sync` in the transaction of the record change that affects them, `timers_sweep` by
the periodic escalation task, `timers_recompute` by an explicit administrator action.
"""

import copy
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.bulk import insert_rows, update_rows
from itsm.generations import GenerationCache
from itsm.permissions import ADMIN_ROLES, STAFF_ROLES, require
from itsm.records import check_version, save_with_history, versioned_save
from itsm.validation import apply_fields, refuse_unknown

from . import engine
from .businesstime import add
from .calendars import business_calendar, clean_weekly_hours, expand, parse_intervals, validate_region
from .choices import BREACH, DEFAULT_THRESHOLDS, LIVE_STATES, ActionKind, DayKind, Metric, TimerEventKind
from .models import Agreement, Calendar, CalendarDay, CalendarVersion, Escalation, Target, Timer, TimerEvent
from .registry import Facts, subject_for, subject_for_model, subject_named, subjects

log = logging.getLogger(__name__)

CALENDAR_FIELDS = ("name", "time_zone", "weekly_hours", "country", "subdivision", "is_active")
AGREEMENT_FIELDS = ("name", "customer", "services", "valid_from", "valid_to", "description", "is_active")
TARGET_FIELDS = ("agreement", "name", "metric", "record_type", "priorities", "service", "goal", "calendar",
                 "pause_states", "escalations", "reopen_continues")
SWEEP_BATCH = 500
RECORD = "record"  # the escalation "action" that marks a threshold as handled


# --- calendars --------------------------------------------------------------------------------

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


@transaction.atomic
def calendar_update(*, actor, calendar: Calendar, data: dict, expected_version: int | None = None) -> Calendar:
    """Change a calendar; publishes a new version if its working time changed. Finished
    timers keep the version they used; running ones move only by `timers_recompute`."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, CALENDAR_FIELDS)
    calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
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


def current_version(calendar: Calendar) -> CalendarVersion:
    version = calendar.versions.order_by("-number").first()
    if version is None:
        raise ValidationError(_("Calendar %(name)s has no published version.") % {"name": calendar})
    return version


# --- agreements and targets -------------------------------------------------------------------

@transaction.atomic
def agreement_create(*, actor, data: dict) -> Agreement:
    """Create an agreement. Administrators only. Side effects: history."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, AGREEMENT_FIELDS)
    data = dict(data)
    services = data.pop("services", None)
    agreement = Agreement(**data)
    _check_validity(agreement)
    agreement.full_clean()
    save_with_history(agreement, actor=actor, reason="created")
    if services:
        agreement.services.set(services)
    _targets_changed()
    return agreement


@transaction.atomic
def agreement_update(*, actor, agreement: Agreement, data: dict, expected_version: int | None = None) -> Agreement:
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, AGREEMENT_FIELDS)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    check_version(agreement, expected_version)
    data = dict(data)
    services = data.pop("services", None)
    apply_fields(agreement, data, AGREEMENT_FIELDS)
    _check_validity(agreement)
    versioned_save(agreement, actor=actor, reason="updated")
    if services is not None:
        agreement.services.set(services)
    _targets_changed()
    return agreement


def _check_validity(agreement: Agreement) -> None:
    if agreement.valid_to and agreement.valid_from and agreement.valid_to < agreement.valid_from:
        raise ValidationError({"valid_to": _("The agreement ends before it starts.")})


def clean_escalations(steps) -> list[dict]:
    """[{"percent": 50, "actions": [{"kind": "notify_assignee"}, ...]}, ...], 1–100 %, each once."""
    if not isinstance(steps, list):
        raise ValidationError({"escalations": _("Give a list of thresholds.")})
    cleaned, seen = [], set()
    for step in steps:
        try:
            percent = int(step["percent"])
        except (KeyError, TypeError, ValueError):
            raise ValidationError({"escalations": _("Each threshold needs a percent.")}) from None
        if not 1 <= percent <= BREACH or percent in seen:
            raise ValidationError({"escalations": _("Thresholds are distinct percentages from 1 to 100.")})
        seen.add(percent)
        actions = []
        for action in step.get("actions", []):
            if action.get("kind") not in ActionKind.values:
                raise ValidationError({"escalations": _("Unknown action “%(kind)s”.") % {"kind": action.get("kind")}})
            if action["kind"] == ActionKind.NOTIFY_MANAGER and not action.get("user"):
                raise ValidationError({"escalations": _("Name the manager to notify.")})
            if action["kind"] == ActionKind.REASSIGN and not action.get("team"):
                raise ValidationError({"escalations": _("Name the group to reassign to.")})
            actions.append({k: action[k] for k in ("kind", "user", "team") if k in action})
        cleaned.append({"percent": percent, "actions": actions})
    return sorted(cleaned, key=lambda s: s["percent"])


def default_escalations() -> list[dict]:
    return [{"percent": p, "actions": [{"kind": ActionKind.NOTIFY_ASSIGNEE}]} for p in DEFAULT_THRESHOLDS] + [
        {"percent": BREACH, "actions": [{"kind": ActionKind.NOTIFY_ASSIGNEE}, {"kind": ActionKind.NOTIFY_GROUP_LEAD}]}]


def _target_row(actor, data: dict, *, current: Target | None = None) -> Target:
    """The unsaved row of a new target, or of the version following `current`, checked."""
    refuse_unknown(data, TARGET_FIELDS)
    target = Target(created_by=actor, **data)
    if "escalations" not in data:
        target.escalations = default_escalations()
    target.escalations = clean_escalations(target.escalations)
    if target.goal is None or target.goal <= timedelta(0):
        raise ValidationError({"goal": _("The goal must be longer than zero.")})
    if not isinstance(target.priorities, list) or not all(isinstance(p, int) for p in target.priorities):
        raise ValidationError({"priorities": _("Give a list of priority numbers.")})
    if target.metric not in Metric.values:
        raise ValidationError({"metric": _("Choose response or resolution.")})
    _check_record_type(target)
    _check_target_choices(target, current)
    target.full_clean(exclude=["lineage"], validate_constraints=False)
    return target


def _check_target_choices(target: Target, current: Target | None) -> None:
    """An active calendar, and, when the agreement names services, one of them (a target on
    another service would never apply: select_targets skips it). A new version keeps what the
    current one has."""
    errors = {}
    if target.calendar_id and target.calendar_id != getattr(current, "calendar_id", None) \
            and not target.calendar.is_active:
        errors["calendar"] = _("%(value)s is no longer in use.") % {"value": target.calendar}
    if target.service_id and target.agreement_id and target.service_id != getattr(current, "service_id", None):
        named = target.agreement.services.all()
        if named.exists() and not named.filter(pk=target.service_id).exists():
            errors["service"] = _("%(service)s is not a service of %(agreement)s.") % {
                "service": target.service.name, "agreement": target.agreement}
    if errors:
        raise ValidationError(errors)


def _check_record_type(target: Target) -> None:
    """A target applies to a registered record type and pauses only in states of that type."""
    if target.record_type not in {subject.name for subject in subjects()}:
        raise ValidationError({"record_type": _("Unknown record type.")})
    states = {value for value, _label in subject_named(target.record_type).states()}
    unknown = [state for state in target.pause_states or [] if state not in states]
    if unknown:
        raise ValidationError({"pause_states": _("Not a state of this record type: %(states)s") % {
            "states": ", ".join(unknown)}})


@transaction.atomic
def target_create(*, actor, data: dict) -> Target:
    """Create a target (version 1). Side effects: none beyond the row."""
    require(actor, ADMIN_ROLES)
    target = _target_row(actor, data)
    target.save()
    _targets_changed()
    return target


@transaction.atomic
def target_update(*, actor, target: Target, data: dict) -> Target:
    """Change a target: writes the next version and makes it current. Timers keep the
    version they run on until `timers_recompute` moves them."""
    require(actor, ADMIN_ROLES)
    current = Target.objects.select_for_update().get(lineage=target.lineage, is_current=True)
    fields = {name: getattr(current, name) for name in TARGET_FIELDS if name not in ("agreement", "service",
                                                                                      "calendar")}
    fields.update(agreement=current.agreement, service=current.service, calendar=current.calendar)
    fields.update(data)
    following = _target_row(actor, fields, current=current)
    following.lineage, following.version = current.lineage, current.version + 1
    Target.objects.filter(pk=current.pk).update(is_current=False)
    following.save()
    _targets_changed()
    return following


def select_targets(record_type: str, facts: Facts, *, on_date=None) -> dict[str, Target]:
    """The target that applies for each metric, chosen deterministically among the current
    targets of active agreements valid on the record's opening date whose conditions match:
    1. an agreement of the record's customer before a provider-wide one (no customer);
    2. a target naming the service before one for any service;
    3. a target naming priorities before one for any priority;
    4. the shortest goal (the strictest promise);
    5. the oldest target (lowest id).
    The current targets come from a per-process copy that one cheap statement checks against
    the database each time (see `TARGETS`); each carries `calendar_version_now`, the
    current version of its calendar (None if it has none)."""
    on_date = on_date or timezone.localdate(facts.opened_at)
    chosen: dict[str, Target] = {}
    for target, services in _current_targets(record_type):
        agreement = target.agreement
        if not agreement.is_active or agreement.valid_from > on_date or (
                agreement.valid_to is not None and agreement.valid_to < on_date):
            continue
        if agreement.customer_id is not None and agreement.customer_id != facts.customer_id:
            continue
        if target.service_id is not None and target.service_id != facts.service_id:
            continue
        if services and facts.service_id not in services:
            continue
        if target.priorities and facts.priority not in target.priorities:
            continue
        current = chosen.get(target.metric)
        if current is None or _precedence(target) < _precedence(current):
            chosen[target.metric] = target
    # Copies: callers hold the target on their timers; the process-wide ones stay untouched.
    return {metric: copy.copy(target) for metric, target in chosen.items()}


# The current targets per record type, copied per process: [(target with agreement, calendar and
# `calendar_version_now`, {service ids of its agreement})]. Every service that writes what the
# copy holds (targets, agreements and their services, calendar versions) calls
# `_targets_changed()` in its transaction; a write that bypasses these services (a data
# migration, the shell) must call it too, or processes keep choosing from their old copy.
TARGETS = GenerationCache("slas.targets")


def _targets_changed() -> None:
    TARGETS.bump()


def _current_targets(record_type: str) -> list[tuple[Target, set]]:
    """The current targets of `record_type` with their agreements, read once per process and
    again after each `_targets_changed()` (one statement checks, see itsm.generations)."""
    return TARGETS.get(record_type, read=lambda: _read_targets(record_type))


def _read_targets(record_type: str) -> list[tuple[Target, set]]:
    rows = [(target, {s.pk for s in target.agreement.services.all()}) for target in
            Target.objects.filter(is_current=True, record_type=record_type)
            .select_related("agreement", "calendar").prefetch_related("agreement__services").order_by("pk")]
    if rows:
        latest = CalendarVersion.objects.filter(calendar=OuterRef("calendar")).order_by("-number").values("number")[:1]
        versions = {v.calendar_id: v for v in CalendarVersion.objects.filter(
            calendar__in={target.calendar_id for target, _services in rows}, number=Subquery(latest))}
        for target, _services in rows:
            target.calendar_version_now = versions.get(target.calendar_id)
    return rows


def _precedence(target: Target) -> tuple:
    return (target.agreement.customer_id is None, target.service_id is None, not target.priorities, target.goal,
            target.pk)


def select_target(record_type: str, facts: Facts, metric: str, *, on_date=None) -> Target | None:
    return select_targets(record_type, facts, on_date=on_date).get(metric)


# --- timers -----------------------------------------------------------------------------------

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
    timer = Timer(content_type=content_type, object_id=record.pk, metric=metric, target=target,
                  calendar_version=version, goal=target.goal, started_at=start, elapsed=timedelta(0),
                  counted_until=start)
    _snapshot(timer, facts)
    steps = [engine.Step(TimerEventKind.START, start, cause, timedelta(0),
                         {"target": target.pk, "target_version": target.version, "calendar_version": version.number,
                          "goal": target.goal.total_seconds()})]
    calendar = business_calendar(version.definition)
    # The due instant from the start, before counting: a timer started late (an incident
    # logged with a past opening) is breached at once if its goal has already passed.
    timer.due_at = add(calendar, start, target.goal)
    engine.count(timer, calendar, now)
    steps += engine.detect_breach(timer, now, cause)
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
        steps += engine.detect_breach(timer, horizon, cause)
    if target is not None and target.lineage != timer.target.lineage and live:
        steps += engine.retarget(timer, calendar, horizon, goal=target.goal, cause=cause,
                                 data={"target": target.pk, "target_version": target.version})
        timer.target = target
    if facts.cancelled:
        steps += engine.cancel(timer, calendar, now, cause=cause)
    elif stop_at is not None:
        steps += engine.stop(timer, calendar, stop_at, cause=cause)
    else:
        if timer.stopped_at and timer.metric == Metric.RESOLUTION and timer.target.reopen_continues \
                and timer.state != "cancelled":
            steps += engine.reopen(timer, calendar, now, cause=cause)
        if timer.stopped_at is None and timer.state != "cancelled":
            if facts.state in timer.target.pause_states:
                if timer.running:
                    steps += engine.pause(timer, calendar, now, reason=facts.state_label, cause=cause)
                elif timer.pause_reason != facts.state_label:
                    timer.pause_reason = facts.state_label
            else:
                steps += engine.resume(timer, calendar, now, cause=cause)
    if timer.is_live:
        _snapshot(timer, facts)
    _save(timer, steps, events=events, new=new)


# --- escalation sweep -------------------------------------------------------------------------

SWEEP_CHUNK = 100  # timers locked, computed and written together, in one transaction
TIMER_SWEPT_FIELDS = ("elapsed", "counted_until", "breached_at", "state", "due_at", "next_check_at", "updated_at")


@dataclass
class SweepResult:
    checked: int = 0
    escalations: int = 0


@dataclass(slots=True)
class _Row:
    """An escalation row to write: the threshold's record row, or one of its actions."""

    threshold: int
    action: str
    due_at: object
    outcome: dict
    pk: int | None = None


@dataclass
class _Threshold:
    """A threshold of a timer found crossed and not yet handled: its record row and action rows."""

    timer: Timer
    percent: int
    rows: list  # [record row, action rows...] (_Row)


def timers_sweep(*, now=None, batch_size: int = SWEEP_BATCH) -> SweepResult:
    """Handle the timers whose next check is due, oldest first, at most `batch_size`, in chunks
    of SWEEP_CHUNK: each chunk is one transaction that locks its timers (SKIP LOCKED: a
    concurrent sweep takes other timers), writes their escalation rows, events and new clocks
    with a few bulk statements, then performs the actions record by record. A threshold is
    handled once: its escalation rows are unique per timer, threshold and action, written in the
    same transaction as the actions' outbox messages. Safe to run concurrently and to repeat."""
    now = now or timezone.now()
    result = SweepResult()
    # Nothing due, the usual case every 10 s: one query on the partial index, no transaction.
    if not Timer.objects.filter(next_check_at__lte=now).exists():
        return result
    # At most ceil(batch_size / SWEEP_CHUNK) chunks, so a timer that stayed due cannot loop.
    while result.checked < batch_size:
        limit = min(SWEEP_CHUNK, batch_size - result.checked)
        checked, escalations = _sweep_chunk(now, limit)
        result.checked += checked
        result.escalations += escalations
        if checked < limit:
            break  # nothing more due, or the rest is locked by another sweep
    return result


@transaction.atomic
def _sweep_chunk(now, limit: int) -> tuple[int, int]:
    """One transaction: lock up to `limit` due timers, escalate them; returns (timers, actions)."""
    timers = list(Timer.objects.select_for_update(skip_locked=True, of=("self",))
                  .filter(next_check_at__lte=now).order_by("next_check_at")[:limit])
    if not timers:
        return 0, 0
    # Targets and calendar versions once per chunk, not once per timer row (a join would build
    # and transfer them per row); calendars are parsed once per version.
    targets = Target.objects.in_bulk({t.target_id for t in timers})
    versions = CalendarVersion.objects.in_bulk({t.calendar_version_id for t in timers})
    calendars = {pk: business_calendar(version.definition) for pk, version in versions.items()}
    handled = {t.pk: set() for t in timers}
    for timer_id, percent in Escalation.objects.filter(timer__in=timers, action=RECORD).values_list(
            "timer_id", "threshold"):
        handled[timer_id].add(percent)

    cause = _("escalation check")
    steps, crossed = {}, {}
    for timer in timers:
        timer.target, timer.calendar_version = targets[timer.target_id], versions[timer.calendar_version_id]
        steps[timer.pk] = []
        if timer.is_live:
            engine.count(timer, calendars[timer.calendar_version_id], now)
            steps[timer.pk] += engine.detect_breach(timer, now, cause)
        crossed[timer.pk] = [p for p in engine.crossed(timer, timer.target.thresholds) if p not in handled[timer.pk]]

    records = _records_acted_on([t for t in timers if any(_actions(t, p) for p in crossed[t.pk])])
    thresholds = []
    for timer in timers:
        acted_on = (timer.content_type_id, timer.object_id) in records
        for percent in crossed[timer.pk]:
            reached_at = timer.breached_at if percent == BREACH else now
            rows = [_Row(percent, RECORD, reached_at, {})]
            for kind, action in _actions(timer, percent).items():
                # Without a record of a registered type the outcome is known now: no update later.
                outcome = {"action": action} if acted_on else {"action": action,
                                                              "skipped": "no record type registered"}
                rows.append(_Row(percent, kind, reached_at, outcome))
            thresholds.append(_Threshold(timer, percent, rows))
    ours = _insert_escalations(thresholds)

    for threshold in ours:
        if threshold.percent != BREACH:
            steps[threshold.timer.pk].append(engine.Step(
                TimerEventKind.THRESHOLD, now, cause, threshold.timer.elapsed, {"percent": threshold.percent}))
    updated_at = timezone.now()
    for timer in timers:
        # Crossed thresholds are handled, whether by us or (after a conflict) by someone else.
        engine.schedule(timer, calendars[timer.calendar_version_id], thresholds=timer.target.thresholds,
                        handled=handled[timer.pk] | set(crossed[timer.pk]))
        timer.updated_at = updated_at
    insert_rows(TimerEvent, ("timer", "kind", "at", "cause", "elapsed", "data"), [
        (timer.pk, s.kind, s.at, s.cause[:300], s.elapsed, s.data) for timer in timers for s in steps[timer.pk]])
    update_rows(Timer, timers, TIMER_SWEPT_FIELDS)
    # Actions run after the timers are saved: one that changes the record (raise the priority,
    # reassign) re-syncs its timers through the record's own services, reading them as saved.
    return len(timers), _act(ours, records)


def _actions(timer: Timer, percent: int) -> dict:
    """The actions of threshold `percent` of the timer's target, the first of each kind (as the
    unique constraint allows)."""
    step = next((s for s in timer.target.escalations if s["percent"] == percent), {"actions": []})
    actions = {}
    for action in step["actions"]:
        actions.setdefault(action["kind"], action)
    return actions


def _records_acted_on(timers) -> dict:
    """{(content type id, object id): (record, subject)} of the timers' records that exist and
    are of a registered record type: one query per content type, none for unregistered ones."""
    ids = {}
    for timer in timers:
        ids.setdefault(timer.content_type_id, set()).add(timer.object_id)
    found = {}
    for content_type_id, object_ids in ids.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        subject = subject_for_model(model) if model is not None else None
        if subject is None:
            continue
        for pk, record in model._base_manager.in_bulk(object_ids).items():
            found[(content_type_id, pk)] = (record, subject)
    return found


ESCALATION_COLUMNS = ("timer", "threshold", "action", "due_at", "done_at", "outcome")


def _insert_escalations(thresholds: list[_Threshold]) -> list[_Threshold]:
    """Write the escalation rows of `thresholds`; return those that are ours to act on.

    The rows of a timer are only ever written here, by the sweep holding the timer's row lock,
    after reading its handled thresholds under that lock: they cannot exist yet, and one INSERT
    writes them all. The unique constraint stays the safety net. On a conflict (a row written
    outside this path) we do not use ON CONFLICT DO NOTHING: a skipped action row would look
    like ours without being ours, and rows it keeps carry no key to update their outcome. The
    savepoint is rolled back instead and the chunk's thresholds are written one by one, as
    before: a threshold whose record row already exists is someone else's and is skipped whole.
    """
    done_at = timezone.now()

    def write(chunk):
        rows = [(t.timer.pk, row.threshold, row.action, row.due_at, done_at, row.outcome)
                for t in chunk for row in t.rows]
        with transaction.atomic():
            ids = insert_rows(Escalation, ESCALATION_COLUMNS, rows, returning=True)
        for row, pk in zip((row for t in chunk for row in t.rows), ids, strict=True):
            row.pk = pk

    if not thresholds:
        return []
    try:
        write(thresholds)
        return thresholds
    except IntegrityError:
        log.warning("escalation rows already present in a chunk of %d thresholds; writing them one by one",
                    len(thresholds))
    ours = []
    for threshold in thresholds:
        try:
            write([threshold])
        except IntegrityError:
            continue  # handled by someone else already
        ours.append(threshold)
    return ours


def _act(thresholds: list[_Threshold], records: dict) -> int:
    """Perform the actions of `thresholds` record by record; one UPDATE of their outcomes.

    Each record's actions run in a savepoint. If one raises, that record's actions are rolled
    back (no half-done escalation: no journal line without its email), the error is logged, and
    its rows say it failed; the other records' actions and the chunk's clocks stand. The threshold
    stays handled: retrying would repeat every 10 s an action that fails for good (a deleted
    team, a bug), and before batching such an error rolled back its timer and, the oldest due,
    blocked every sweep after it. The failure is logged and on the escalation record.

    A transient database error (OperationalError: a deadlock with a concurrent sweep acting on
    the same record, a lost connection) is not the record's fault: it rolls back the whole
    chunk, which the next sweep does again, so nothing is recorded as failed that could work."""
    by_record = {}
    for threshold in thresholds:
        key = (threshold.timer.content_type_id, threshold.timer.object_id)
        if key in records:
            by_record.setdefault(key, []).extend((threshold.timer, row) for row in threshold.rows[1:])
    done = []
    for key, work in by_record.items():
        record, subject = records[key]
        outcomes = []
        try:
            with transaction.atomic():
                for timer, row in work:
                    outcomes.append({**row.outcome, **(subject.act(record, row.outcome["action"], timer,
                                                                   row.threshold) or {})})
        except (OperationalError, InterfaceError):
            raise
        except Exception as error:
            log.exception("SLA escalation of %s %s failed", subject.name, record.pk)
            outcomes = [{**row.outcome, "failed": f"{type(error).__name__}: {error}"[:300]} for _t, row in work]
        for (_timer, row), outcome in zip(work, outcomes, strict=True):
            done.append(Escalation(pk=row.pk, outcome=outcome))
    update_rows(Escalation, done, ["outcome"])  # one UPDATE for the chunk's actions
    return sum(len(threshold.rows) - 1 for threshold in thresholds)


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
        before = {"target_version": timer.target.version, "calendar_version": timer.calendar_version.number,
                  "goal": timer.goal.total_seconds(), "elapsed": timer.elapsed.total_seconds()}
        calendar = business_calendar(version.definition)
        engine.count(timer, _calendar_of(timer), now)
        timer.elapsed = sum((engine_between(calendar, start, end) for start, end in running_intervals(timer, now)),
                            timedelta(0))
        timer.target, timer.calendar_version, timer.goal = target, version, target.goal
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
    from .businesstime import between

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


# --- reports ----------------------------------------------------------------------------------

@transaction.atomic
def report_generated(*, actor, agreement: Agreement, month: str):
    """Put on record that `actor` generated the monthly service-level report of `agreement`
    for `month` ("YYYY-MM"). Generating is a read; the only side effect is one domain event,
    "sla.report_generated" (auditors see it in the admin). Staff only."""
    from itsm.events import emit

    require(actor, STAFF_ROLES, reading=True)  # auditors generate reports too
    return emit("sla.report_generated", record=agreement, actor=actor, payload={
        "agreement": agreement.pk, "agreement_name": agreement.name, "month": month,
        "customer": agreement.customer_id})


# --- iCalendar import (settings pages and API) ------------------------------------------------

@transaction.atomic
def calendar_import_ics(*, actor, calendar: Calendar, content) -> int:
    """Declare closed the days of the events of an iCalendar (.ics) file, named by their
    SUMMARY (an existing own day of that date is replaced). All or nothing: a file that does
    not parse writes nothing. Side effects: CalendarDay history, ONE new calendar version.
    Returns how many days were declared."""
    from .icalendar import parse_closed_days

    require(actor, ADMIN_ROLES)
    days = parse_closed_days(content)
    calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
    for day in days:
        CalendarDay.objects.update_or_create(calendar=calendar, date=day.date,
                                             defaults={"kind": DayKind.CLOSED, "name": day.name, "hours": []})
    calendar_publish(calendar=calendar, actor=actor, summary=_("Imported %(count)s closed days from %(first)s to "
                                                              "%(last)s") % {
        "count": len(days), "first": days[0].date, "last": days[-1].date})
    return len(days)


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
