"""Reads of service level management shared by views, API and reports. Staff read
everything (auditors included); requesters see none of it. `<entity>_get_for_user` is the one
gate to a single row: 404 whether it is missing or not the user's to read."""

from django.db.models import Prefetch
from django.http import Http404

from itsm.permissions import STAFF_ROLES, may

from .models import Agreement, Calendar, Target, Timer, TimerEvent


def _get(queryset, pk):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def calendar_list(user):
    if not may(user, STAFF_ROLES):
        return Calendar.objects.none()
    return Calendar.objects.prefetch_related("days")


def calendar_get_for_user(user, pk) -> Calendar:
    return _get(calendar_list(user), pk)


def agreement_list(user):
    if not may(user, STAFF_ROLES):
        return Agreement.objects.none()
    return Agreement.objects.select_related("customer").prefetch_related("services")


def agreement_get_for_user(user, pk) -> Agreement:
    return _get(agreement_list(user), pk)


def target_list(user):
    """Every version of every target (`is_current` marks the ones in force)."""
    if not may(user, STAFF_ROLES):
        return Target.objects.none()
    return Target.objects.select_related("agreement", "calendar", "created_by")


def target_get_for_user(user, pk, *, current: bool = False) -> Target:
    """Target version `pk`; with `current`, the version now in force of its lineage."""
    target = _get(target_list(user), pk)
    return target_list(user).get(lineage=target.lineage, is_current=True) if current else target


def timer_list(user, *, with_events: bool = False):
    """Timers with their target and calendar version (what live numbers are counted on); with
    `with_events`, their events too, in order, as `event_list` (pause durations and the
    explanation): one more query for a whole page, whatever its size."""
    if not may(user, STAFF_ROLES):
        return Timer.objects.none()
    timers = Timer.objects.select_related("target", "calendar_version", "ola_team")
    if with_events:
        timers = timers.prefetch_related(
            Prefetch("events", queryset=TimerEvent.objects.order_by("at", "id"), to_attr="event_list"))
    return timers


def timer_key(timer) -> tuple:
    """(content type, record, metric, group or None): a timer's key without its cycle."""
    return (timer.content_type_id, timer.object_id, timer.metric, timer.ola_team_id)


CYCLE_FIELDS = ("id", "content_type_id", "object_id", "metric", "ola_team_id", "cycle", "is_current", "counts",
                "state", "started_at", "stopped_at", "elapsed", "goal", "breached_at")


def cycles_of(timers) -> dict[tuple, list[dict]]:
    """{timer key: its cycles, first to last} for the keys of `timers` (a page of them): one
    query whatever their number (served by the index timer_record)."""
    timers = list(timers)
    if not timers:
        return {}
    keys = {timer_key(t) for t in timers}
    rows = Timer.objects.filter(content_type_id__in={t.content_type_id for t in timers},
                                object_id__in={t.object_id for t in timers}).order_by("cycle", "pk")
    cycles: dict[tuple, list[dict]] = {}
    for row in rows.values(*CYCLE_FIELDS):
        key = (row["content_type_id"], row["object_id"], row["metric"], row["ola_team_id"])
        if key in keys:
            cycles.setdefault(key, []).append(row)
    return cycles
