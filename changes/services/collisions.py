"""Finding the conflicts of changes' planned windows: reads only (changes.services.conflicts
stores what is found and applies the policy).

For a change with a planned window [start, end):
- same_ci: another change in SCHEDULING_STATES on one of its CIs, windows overlapping;
- related_ci: another such change on a CI that its CIs depend on, or that depends on them,
  within settings.CHANGE_CONFLICT_DEPTH steps of the CMDB graph;
- blackout: an occurrence of an active blackout window overlapping the window, the window
  global or of one of the change's services, impacted services or CIs;
- outside_maintenance: a service or CI of the change (affected, impacted, or a CI) that has
  maintenance windows, none of whose occurrences holds the whole window.

Work is done for a group of changes at once (`find`): their CIs and services in three queries,
the CMDB walks in two, the other changes in one through the CI m2m (each CI's changes, their
windows compared on the change table's rows), the windows in one, each window's occurrences
expanded once for the group. One change costs the same queries as a thousand.
"""

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from config_items.models import ConfigurationItem
from config_items.selectors import DOWNSTREAM, UPSTREAM, reach_from_each
from itsm.recurrence import occurrences, overlaps

from ..choices import SCHEDULING_STATES, ChangeState, ConflictKind, WindowKind
from ..models import Change, ScheduleWindow

CIS, SERVICES, IMPACTED = Change.cis.through, Change.services.through, Change.impacted_services.through
STATES = [state.value for state in SCHEDULING_STATES]
EXPANDED = 5000  # occurrences of a window expanded for a group; beyond it, per change
NAMED = 3  # a cause names at most this many CIs, then "and N more"
NEXT_WITHIN = timedelta(days=366)  # how far the next maintenance occurrence is looked for


@dataclass
class Subject:
    """A change as checked: its window, its CIs, and whose windows apply to it."""

    pk: int
    start: datetime
    end: datetime
    cis: set = field(default_factory=set)
    scope: set = field(default_factory=set)  # affected and impacted services, and the CIs
    related: dict = field(default_factory=dict)  # CI id -> (distance, direction)


@dataclass
class Found:
    kind: str
    key: str
    detail: str = ""
    other_change_id: int | None = None
    window_id: int | None = None
    ci_id: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    named_cis: list = field(default_factory=list)  # CI ids the cause names
    describe: object = None  # (names) -> detail


def subjects_of(windows) -> list[Subject]:
    """Subjects of changes given as (pk, start, end): their CIs and services in three queries."""
    subjects = {pk: Subject(pk, start, end) for pk, start, end in windows}
    ids = list(subjects)
    for through, attribute in ((CIS, "cis"), (SERVICES, "scope"), (IMPACTED, "scope")):
        for change_id, ci_id in through.objects.filter(change_id__in=ids).values_list(
                "change_id", "configurationitem_id"):
            getattr(subjects[change_id], attribute).add(ci_id)
    for subject in subjects.values():
        subject.scope |= subject.cis
    return list(subjects.values())


def find(subjects: list[Subject]) -> dict[int, list[Found]]:
    """{change id: conflicts found} for the subjects (each with a window), causes written."""
    if not subjects:
        return {}
    _relate(subjects)
    start, end = min(s.start for s in subjects), max(s.end for s in subjects)
    others = _other_changes(subjects, start, end)
    windows = _Windows(subjects, start, end)
    found = {}
    for subject in subjects:
        found[subject.pk] = [*_collisions(subject, others), *windows.blackouts(subject),
                             *windows.outside_maintenance(subject)]
    _write_causes([f for items in found.values() for f in items])
    return found


# --- other changes -------------------------------------------------------------------------------

def _relate(subjects: list[Subject]) -> None:
    """Each subject's related CIs (not its own): nearest distance and direction, two walks."""
    depth = settings.CHANGE_CONFLICT_DEPTH
    starts = set().union(*(s.cis for s in subjects))
    if depth <= 0 or not starts:
        return
    for direction in (UPSTREAM, DOWNSTREAM):
        reached = reach_from_each(starts, direction=direction, depth=depth)
        for subject in subjects:
            for ci in subject.cis:
                for other, distance in reached.get(ci, {}).items():
                    if other in subject.cis:
                        continue
                    known = subject.related.get(other)
                    if known is None or distance < known[0]:
                        subject.related[other] = (distance, direction)


@dataclass
class _Other:
    pk: int
    number: str
    title: str
    state: str
    start: datetime
    end: datetime
    cis: set = field(default_factory=set)


def _other_changes(subjects: list[Subject], start: datetime, end: datetime) -> dict[int, list[_Other]]:
    """{CI id: changes in SCHEDULING_STATES on it whose window meets [start, end)}: one query
    from the CI m2m (its (CI, change) index) to the change rows, windows compared there."""
    ci_ids = set()
    for subject in subjects:
        ci_ids |= subject.cis | set(subject.related)
    if not ci_ids:
        return {}
    rows = (CIS.objects.filter(configurationitem_id__in=sorted(ci_ids), change__state__in=STATES,
                               change__planned_start__lt=end, change__planned_end__gt=start)
            .values_list("configurationitem_id", "change_id", "change__number", "change__short_description",
                         "change__state", "change__planned_start", "change__planned_end"))
    changes: dict[int, _Other] = {}
    by_ci: dict[int, list[_Other]] = {}
    for ci, pk, number, title, state, planned_start, planned_end in rows:
        other = changes.setdefault(pk, _Other(pk, number, title, state, planned_start, planned_end))
        other.cis.add(ci)
        by_ci.setdefault(ci, []).append(other)
    return by_ci


def _collisions(subject: Subject, by_ci: dict[int, list[_Other]]) -> list[Found]:
    """One conflict per other change: same_ci if it shares a CI, else related_ci (nearest CI)."""
    meeting: dict[int, _Other] = {}
    for ci in (*subject.cis, *subject.related):
        for other in by_ci.get(ci, ()):
            if other.pk != subject.pk and overlaps(subject.start, subject.end, other.start, other.end):
                meeting[other.pk] = other
    found = []
    for other in sorted(meeting.values(), key=lambda o: (o.start, o.pk)):
        shared = sorted(other.cis & subject.cis)
        when = (max(subject.start, other.start), min(subject.end, other.end))
        if shared:
            found.append(Found(ConflictKind.SAME_CI, f"same_ci:{other.pk}", other_change_id=other.pk,
                               ci_id=shared[0], starts_at=when[0], ends_at=when[1], named_cis=shared,
                               describe=_same_ci_cause(other, shared)))
            continue
        nearest = min((ci for ci in other.cis if ci in subject.related),
                      key=lambda ci: (subject.related[ci][0], ci))
        distance, direction = subject.related[nearest]
        found.append(Found(ConflictKind.RELATED_CI, f"related_ci:{other.pk}", other_change_id=other.pk,
                           ci_id=nearest, starts_at=when[0], ends_at=when[1], named_cis=[nearest],
                           describe=_related_cause(other, nearest, distance, direction)))
    return found


def _change_text(other: _Other) -> dict:
    return {"change": other.number, "title": other.title, "state": ChangeState(other.state).label,
            "when": span(other.start, other.end)}


def _same_ci_cause(other: _Other, shared: list):
    def describe(names):
        return _("%(change)s “%(title)s” (%(state)s, %(when)s) also changes %(cis)s.") % {
            **_change_text(other), "cis": _listed(shared, names)}
    return describe


def _related_cause(other: _Other, ci: int, distance: int, direction: str):
    def describe(names):
        values = {**_change_text(other), "ci": names.get(ci, ci),
                  "steps": ngettext("%(count)d step", "%(count)d steps", distance) % {"count": distance}}
        if direction == UPSTREAM:
            return _("%(change)s “%(title)s” (%(state)s, %(when)s) changes %(ci)s, which depends on this "
                     "change's CIs (%(steps)s away).") % values
        return _("%(change)s “%(title)s” (%(state)s, %(when)s) changes %(ci)s, which this change's CIs "
                 "depend on (%(steps)s away).") % values
    return describe


# --- blackout and maintenance windows ------------------------------------------------------------

class _Windows:
    """The active windows that apply to any of the subjects, each expanded once over [start, end)."""

    def __init__(self, subjects: list[Subject], start: datetime, end: datetime):
        scope = set().union(*(s.scope for s in subjects))
        applies = Q(kind=WindowKind.BLACKOUT, service__isnull=True)
        if scope:
            applies |= Q(service_id__in=sorted(scope)) | Q(ci_id__in=sorted(scope))
        self.windows = list(ScheduleWindow.objects.filter(applies, is_active=True)
                            .select_related("service", "ci").order_by("pk"))
        self.blackout = [w for w in self.windows if w.kind == WindowKind.BLACKOUT]
        self.maintenance: dict[int, list[ScheduleWindow]] = {}
        for window in self.windows:
            if window.kind == WindowKind.MAINTENANCE:
                self.maintenance.setdefault(window.service_id or window.ci_id, []).append(window)
        self.expanded = {w.pk: _Expanded(w, start, end) for w in self.windows}

    def blackouts(self, subject: Subject) -> list[Found]:
        found = []
        for window in self.blackout:
            if window.service_id is not None and window.service_id not in subject.scope:
                continue
            for begins, ends in self.expanded[window.pk].meeting(subject.start, subject.end):
                found.append(Found(ConflictKind.BLACKOUT, f"blackout:{window.pk}:{begins.isoformat()}",
                                   window_id=window.pk, ci_id=window.service_id, starts_at=begins, ends_at=ends,
                                   describe=_blackout_cause(window, begins, ends)))
        return found

    def outside_maintenance(self, subject: Subject) -> list[Found]:
        found = []
        for target in sorted(subject.scope & set(self.maintenance)):
            windows = self.maintenance[target]
            intervals = sorted(o for w in windows for o in self.expanded[w.pk].meeting(subject.start, subject.end))
            if any(begins <= subject.start and subject.end <= ends for begins, ends in _merged(intervals)):
                continue
            found.append(Found(ConflictKind.OUTSIDE_MAINTENANCE, f"outside_maintenance:{target}",
                               window_id=windows[0].pk, ci_id=target, starts_at=subject.start,
                               ends_at=subject.end, describe=_maintenance_cause(windows, subject.start)))
        return found


class _Expanded:
    """A window's occurrences over a range, read by bisection; past EXPANDED, asked per change."""

    def __init__(self, window: ScheduleWindow, start: datetime, end: datetime):
        self.window = window
        self.items = window_occurrences(window, start, end, limit=EXPANDED)
        self.complete = len(self.items) < EXPANDED
        self.starts = [begins for begins, _ends in self.items]
        self.longest = max((ends - begins for begins, ends in self.items), default=timedelta(0))

    def meeting(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        if not self.complete:
            return window_occurrences(self.window, start, end, limit=EXPANDED)
        first, last = bisect_left(self.starts, start - self.longest), bisect_left(self.starts, end)
        return [(b, e) for b, e in self.items[first:last] if overlaps(b, e, start, end)]


def window_occurrences(window: ScheduleWindow, start: datetime, end: datetime, *, limit: int = 1000) -> list:
    """The (start, end) occurrences of `window` that meet [start, end), in UTC, earliest first."""
    return occurrences(start=window.start, end=window.end, rrule=window.rrule, tz=window.time_zone,
                       window_start=start, window_end=end, limit=limit)


def _merged(intervals: list) -> list:
    """Sorted intervals joined where they overlap or touch (two windows end to end hold a change)."""
    merged: list[list] = []
    for begins, ends in intervals:
        if merged and begins <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], ends)
        else:
            merged.append([begins, ends])
    return merged


def _window_place(window: ScheduleWindow) -> str:
    item = window.service or window.ci
    return item.name if item else _("everywhere")


def _blackout_cause(window: ScheduleWindow, begins: datetime, ends: datetime):
    def describe(names):
        return _("Inside the blackout window “%(window)s” (%(place)s): %(when)s.") % {
            "window": window.name, "place": _window_place(window), "when": span(begins, ends, window.time_zone)}
    return describe


def _maintenance_cause(windows: list, start: datetime):
    def describe(names):
        nearest = sorted((*o, w.time_zone) for w in windows
                         for o in window_occurrences(w, start, start + NEXT_WITHIN, limit=1))
        values = {"item": _window_place(windows[0]), "windows": ", ".join(f"“{w.name}”" for w in windows)}
        if nearest:
            return _("Outside the maintenance windows of %(item)s (%(windows)s); the nearest: %(next)s.") % {
                **values, "next": span(*nearest[0])}
        return _("Outside the maintenance windows of %(item)s (%(windows)s); none in the coming year.") % values
    return describe


# --- causes ---------------------------------------------------------------------------------------

def _write_causes(found: list[Found]) -> None:
    """Fill in each conflict's cause, with the names of the CIs they mention (one query)."""
    ids = {ci for f in found for ci in f.named_cis}
    names = dict(ConfigurationItem.objects.filter(pk__in=sorted(ids)).values_list("pk", "name")) if ids else {}
    for item in found:
        item.detail = item.describe(names)
        item.describe = None


def _listed(ids: list, names: dict) -> str:
    shown = [str(names.get(pk, pk)) for pk in ids[:NAMED]]
    rest = len(ids) - len(shown)
    if rest:
        return _("%(items)s and %(count)d more") % {"items": ", ".join(shown), "count": rest}
    return ", ".join(shown)


def span(start: datetime, end: datetime, zone: str | None = None) -> str:
    """“2026-12-12 22:00–23:30 Europe/Berlin”: in `zone`, else the site's time zone."""
    tz = ZoneInfo(zone) if zone else timezone.get_default_timezone()
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    end_format = "%H:%M" if local_end.date() == local_start.date() else "%Y-%m-%d %H:%M"
    return f"{local_start:%Y-%m-%d %H:%M}–{local_end.strftime(end_format)} {getattr(tz, 'key', str(tz))}"
