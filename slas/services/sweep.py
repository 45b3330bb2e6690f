"""The escalation sweep: the periodic task's pass over the timers whose next check is due."""

import logging
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.bulk import insert_rows, update_rows

from .. import engine
from ..calendars import business_calendar
from ..choices import BREACH, TimerEventKind
from ..models import CalendarVersion, Escalation, Target, Timer, TimerEvent
from ..registry import subject_for_model
from .timers import RECORD

log = logging.getLogger(__name__)

SWEEP_BATCH = 500  # timers handled by one run of the periodic task
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
    breached_before = {t.pk for t in timers if t.breached_at is not None}
    for timer in timers:
        timer.target, timer.calendar_version = targets[timer.target_id], versions[timer.calendar_version_id]
        steps[timer.pk] = []
        if timer.is_live:
            engine.count(timer, calendars[timer.calendar_version_id], now)
            steps[timer.pk] += engine.detect_breach(timer, calendars[timer.calendar_version_id], now, cause)
        crossed[timer.pk] = [p for p in engine.crossed(timer, timer.target.thresholds) if p not in handled[timer.pk]]

    # A timer breached retroactively by a re-target (see engine.breach_retroactively) has its
    # warnings on its timeline already, each at its instant: escalate them, record them no more.
    # One query, and only for such timers (breached before this sweep with warnings pending).
    recorded = set()
    earlier = [t.pk for t in timers if t.pk in breached_before and any(p < BREACH for p in crossed[t.pk])]
    if earlier:
        recorded = {(timer_id, percent) for timer_id, percent in TimerEvent.objects.filter(
            timer_id__in=earlier, kind=TimerEventKind.THRESHOLD, data__retroactive=True).values_list(
            "timer_id", "data__percent")}
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
        if threshold.percent != BREACH and (threshold.timer.pk, threshold.percent) not in recorded:
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
