"""Service level reports: attainment, breaches with their causes, at-risk timers, weekly trend,
time to respond and resolve. Shared by the manager dashboard (slas/views/dashboard.py, CSV and
XLSX exports), the monthly service-level report and the API (slas/api/reports.py). Their
filters come from slas.filtersets.ReportFilterForm, as a `Filters` value.

Definitions (also in docs/slas.md, "Dashboard and reports"):
- A timer's **outcome** is met or breached; cancelled timers and live timers not (yet) breached
  have none. A met timer counts at the instant it stopped; a breached timer counts at its
  breach instant, whether it has stopped since or is still running (a live timer already past
  its due instant is breached for good). So a past period's figures do not move when a breached
  record is resolved later.
- **Attainment** = met ÷ (met + breached), in percent, over the timers whose outcome instant
  lies in the period; None when there are none.
- **Time to respond / resolve**: the business time elapsed (the timer's calendar, pauses
  excluded) of response / resolution timers that *stopped* in the period, met or breached;
  mean and nearest-rank p90, in hours.
- **At risk now**: running timers, not breached, that have crossed their first warning
  threshold or are due within the next `hours` hours (Timer.objects.at_risk, which the incident
  queue's "At risk" tab uses too); soonest due first.
- **Cycles** (a target that restarts on reopening or on each customer reply): every cycle is a
  timer with its own outcome; the ones counted are those the target's counting option marks
  (`Timer.counts`: every cycle, only the last, only the first) — in attainment, times, breaches.
- **Scope**: the figures are the customer's service level (SLA) timers unless `Filters.scope`
  says "ola": the assignment groups' operational level timers, reported apart (an OLA breach
  is not an SLA breach), grouped by their group for "team".

Counting happens in the database (one grouped query per table); p90 needs every value of a
group, so durations are streamed in group order with `values_list(...).iterator()`.
"""

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, DateTimeField, F, Q, When
from django.db.models.functions import TruncMonth, TruncWeek
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.models import Customer, Team

from .businesstime import between
from .calendars import business_calendar
from .choices import Metric, TargetKind, TimerEventKind, TimerState
from .models import AT_RISK_HOURS, Agreement, Timer, TimerEvent

STREAM_CHUNK = 2000
MAX_PERIOD_DAYS = 3 * 366
BREACH_LIMIT = 200  # breaches listed on a page (exports list them all)
AT_RISK_LIMIT = 50
GROUPS = ("service", "customer", "priority", "team", "month")
PRIORITIES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Filters:
    """Whole days from `start` to `end` inclusive (current time zone), and what to keep."""

    start: date
    end: date
    customer: int | None = None
    service: int | None = None
    team: int | None = None
    priority: int | None = None
    metric: str | None = None
    agreement: int | None = None
    # "sla": the customer's timers (the default); "ola": the groups' operational level timers;
    # None: both (a monthly report's per-target rows).
    scope: str | None = TargetKind.SLA

    @property
    def start_instant(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_instant(self) -> datetime:  # exclusive
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


def this_month(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today.replace(day=1), today


DEFAULT_WEEKS = 12


def last_weeks(weeks: int = DEFAULT_WEEKS, today: date | None = None) -> tuple[date, date]:
    """The current week (from Monday) and the `weeks` - 1 whole weeks before it, to today: the
    dashboard's default period, `weeks` bars of its weekly trend."""
    today = today or timezone.localdate()
    return today - timedelta(days=today.weekday(), weeks=weeks - 1), today


def month_bounds(month: str) -> tuple[date, date]:
    """("YYYY-MM") → first and last day of that month; ValueError when malformed."""
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return first, following - timedelta(days=1)


# --- querysets ------------------------------------------------------------------------------

OUTCOME_AT = Case(When(state=TimerState.BREACHED, then=F("breached_at")), default=F("stopped_at"),
                  output_field=DateTimeField())


def _team_field(filters: Filters) -> str:
    """An operational level timer belongs to its group; a service level one to the record's
    group when it last moved."""
    return "ola_team_id" if filters.scope == TargetKind.OLA else "team_id"


def _scoped(filters: Filters):
    """The timers of the filters' scope that count (cycles as their target's counting option says)."""
    timers = Timer.objects.filter(counts=True)
    if filters.scope == TargetKind.SLA:
        # The customer's timers are those without a group (a check constraint ties the two):
        # a null test costs a period's scan less than comparing `kind` on every row.
        timers = timers.filter(ola_team__isnull=True)
    elif filters.scope is not None:
        timers = timers.filter(kind=filters.scope)  # served by the partial indexes of OLA timers
    for field, value in (("customer_id", filters.customer), ("service_id_snapshot", filters.service),
                         (_team_field(filters), filters.team), ("priority", filters.priority),
                         ("metric", filters.metric), ("target__agreement_id", filters.agreement)):
        if value is not None:
            timers = timers.filter(**{field: value})
    return timers


def with_outcome(filters: Filters):
    """Timers whose outcome (met at the stop, breached at the breach) falls in the period."""
    start, end = filters.start_instant, filters.end_instant
    return _scoped(filters).filter(
        Q(state=TimerState.MET, stopped_at__gte=start, stopped_at__lt=end)
        | Q(state=TimerState.BREACHED, breached_at__gte=start, breached_at__lt=end))


def _rate(met: int, breached: int) -> float | None:
    total = met + breached
    return round(100 * met / total, 1) if total else None


def _counts():
    return {"met": Count("pk", filter=Q(state=TimerState.MET)),
            "breached": Count("pk", filter=Q(state=TimerState.BREACHED))}


def totals(filters: Filters) -> dict:
    counts = with_outcome(filters).aggregate(**_counts())
    met, breached = counts["met"], counts["breached"]
    return {"met": met, "breached": breached, "total": met + breached, "attainment": _rate(met, breached)}


def attainment(filters: Filters, group_by: str) -> list[dict]:
    """Met, breached and attainment per service, customer, priority, team or month."""
    if group_by not in GROUPS:
        raise ValueError(group_by)
    timers = with_outcome(filters).order_by()
    if group_by == "month":
        timers = timers.annotate(key=TruncMonth(OUTCOME_AT, tzinfo=timezone.get_current_timezone()))
    else:
        timers = timers.annotate(key=F({"service": "service_id_snapshot", "customer": "customer_id",
                                        "team": _team_field(filters), "priority": "priority"}[group_by]))
    rows = list(timers.values("key").annotate(**_counts()))
    names = _names(group_by, [row["key"] for row in rows])
    result = []
    for row in rows:
        key = row["key"]
        if group_by == "month":
            key = timezone.localtime(key).strftime("%Y-%m") if isinstance(key, datetime) else str(key)[:7]
        result.append({"key": key, "label": names.get(row["key"], key) if group_by != "month" else key,
                       "met": row["met"], "breached": row["breached"], "total": row["met"] + row["breached"],
                       "attainment": _rate(row["met"], row["breached"])})
    if group_by in ("month", "priority"):
        result.sort(key=lambda r: (r["key"] is None, r["key"] or 0))
    else:
        result.sort(key=lambda r: (r["key"] is None, str(r["label"]).lower()))
    return result


def _names(group_by: str, keys: list) -> dict:
    """Display names of the group keys, in one query; None reads "(none)"."""
    ids = [k for k in keys if k is not None]
    names: dict = {None: _("(none)")}
    if group_by == "service" and ids:
        from config_items.models import ConfigurationItem

        names.update(ConfigurationItem.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif group_by == "customer" and ids:
        names.update(Customer.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif group_by == "team" and ids:
        names.update(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif group_by == "priority":
        names.update({p: f"P{p}" for p in ids})
    return names


def weekly_trend(filters: Filters) -> list[dict]:
    """Per week (starting Monday, current time zone) of the outcome instant."""
    rows = (with_outcome(filters).order_by()
            .annotate(week=TruncWeek(OUTCOME_AT, tzinfo=timezone.get_current_timezone()))
            .values("week").annotate(**_counts()).order_by("week"))
    result = []
    for row in rows:
        week = row["week"]
        week = timezone.localtime(week).date() if isinstance(week, datetime) else week
        result.append({"week": week.isoformat(), "met": row["met"], "breached": row["breached"],
                       "attainment": _rate(row["met"], row["breached"])})
    return result


# --- durations ------------------------------------------------------------------------------

def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list (p90 of 10 values is the 9th)."""
    rank = max(math.ceil(share * len(sorted_values)), 1)
    return sorted_values[rank - 1]


def stopped_in(filters: Filters):
    return _scoped(filters).filter(state__in=(TimerState.MET, TimerState.BREACHED),
                                   stopped_at__gte=filters.start_instant, stopped_at__lt=filters.end_instant)


def durations(filters: Filters, by: str = "metric") -> list[dict]:
    """Count, mean and p90 business hours per `by` ("metric", or "target" for the target
    lineage of a monthly report) of the timers stopped in the period; streamed in group order."""
    field = {"metric": "metric", "target": "target__lineage"}[by]
    stream = (stopped_in(filters).order_by(field, "elapsed").values_list(field, "elapsed")
              .iterator(chunk_size=STREAM_CHUNK))
    rows, current, hours = [], object(), []

    def flush():
        if hours:
            rows.append({"key": current, "count": len(hours), "mean_hours": round(sum(hours) / len(hours), 2),
                         "p90_hours": round(percentile(hours, 0.9), 2)})

    for key, elapsed in stream:
        if key != current:
            flush()
            current, hours = key, []
        hours.append(elapsed.total_seconds() / 3600)  # ascending: ordered by elapsed
    flush()
    if by == "metric":
        labels = dict(Metric.choices)
        for row in rows:
            row["label"] = str(labels.get(row["key"], row["key"]))
    return rows


# --- breaches and at-risk -------------------------------------------------------------------

def record_links(timers) -> dict[tuple[int, int], tuple[str, str | None]]:
    """(content type, object id) → (record number or name, URL of its page), one query per
    record type. The page is the URL named "<model>_detail" when there is one."""
    by_type: dict[int, set[int]] = {}
    for timer in timers:
        by_type.setdefault(timer.content_type_id, set()).add(timer.object_id)
    links = {}
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        records = model._default_manager.filter(pk__in=ids)
        if any(f.name == "number" for f in model._meta.concrete_fields):
            records = records.only("pk", "number")
        for record in records:
            try:
                url = reverse(f"{model._meta.model_name}_detail", kwargs={"pk": record.pk})
            except NoReverseMatch:
                url = None
            links[(type_id, record.pk)] = (getattr(record, "number", None) or str(record), url)
    return links


def breach_queryset(filters: Filters):
    start, end = filters.start_instant, filters.end_instant
    return (_scoped(filters).filter(state=TimerState.BREACHED, breached_at__gte=start, breached_at__lt=end)
            .select_related("target", "customer", "team", "ola_team").order_by("-breached_at", "-pk"))


def breaches(filters: Filters, limit: int | None = BREACH_LIMIT) -> list[dict]:
    """Breached timers of the period, latest first, each with its causes: the events of its
    clock (pauses with their reason, target changes, the breach, the stop)."""
    timers = breach_queryset(filters)
    if limit is not None:
        timers = timers[:limit]
    return breach_rows(list(timers))


def breach_rows(timers: list) -> list[dict]:
    """The rows of `timers` (from breach_queryset: a page of them, or all) with their causes,
    in a constant number of queries: the events, the records (one per record type), the services."""
    events: dict[int, list] = {}
    for event in TimerEvent.objects.filter(timer__in=[t.pk for t in timers]).order_by("at", "pk"):
        events.setdefault(event.timer_id, []).append(event)
    links = record_links(timers)
    services = _names("service", [t.service_id_snapshot for t in timers])
    rows = []
    for timer in timers:
        number, url = links.get((timer.content_type_id, timer.object_id), (str(timer.object_id), None))
        timeline = events.get(timer.pk, [])
        pauses = [e.data.get("reason") or e.cause for e in timeline if e.kind == TimerEventKind.PAUSE]
        rows.append({
            "timer": timer.pk, "record": number, "url": url, "metric": timer.metric,
            "metric_label": timer.get_metric_display(), "target": timer.target.name, "goal": timer.goal,
            "goal_hours": round(timer.goal.total_seconds() / 3600, 2),
            "started_at": timer.started_at, "due_at": timer.due_at, "breached_at": timer.breached_at,
            "stopped_at": timer.stopped_at, "state": timer.state,
            "customer": timer.customer.name if timer.customer else "", "team": timer.team.name if timer.team else "",
            "service": services.get(timer.service_id_snapshot, "") if timer.service_id_snapshot else "",
            "priority": f"P{timer.priority}" if timer.priority else "",
            "cycle": timer.cycle, "group": timer.ola_team.name if timer.ola_team_id else "",
            "paused_for": "; ".join(dict.fromkeys(p for p in pauses if p)),
            "causes": [{"kind": e.kind, "label": e.get_kind_display(), "at": e.at, "cause": e.cause,
                        "reason": e.data.get("reason", ""), "percent": e.data.get("percent")} for e in timeline],
            "breach_cause": next((e.cause for e in timeline if e.kind == TimerEventKind.BREACH), ""),
        })
    return rows


def at_risk(filters: Filters, *, now: datetime | None = None, hours: int = AT_RISK_HOURS,
            limit: int = AT_RISK_LIMIT) -> list[dict]:
    """Running timers not yet breached, past their first warning or due within `hours`
    (Timer.objects.at_risk), soonest due first, at most `limit`."""
    now = now or timezone.now()
    # The period does not apply: at risk is about now.
    timers = (_scoped(filters).at_risk(now, hours)
              .select_related("target", "calendar_version", "customer", "team").order_by("due_at", "pk")[:limit])
    timers = list(timers)
    links = record_links(timers)
    calendars = {}
    rows = []
    for timer in timers:
        if timer.calendar_version_id not in calendars:
            calendars[timer.calendar_version_id] = business_calendar(timer.calendar_version.definition)
        elapsed = timer.elapsed + (between(calendars[timer.calendar_version_id], timer.counted_until, now)
                                   if now > timer.counted_until else timedelta(0))
        percent = round(elapsed / timer.goal * 100, 1) if timer.goal > timedelta(0) else 100.0
        number, url = links.get((timer.content_type_id, timer.object_id), (str(timer.object_id), None))
        rows.append({"timer": timer.pk, "record": number, "url": url, "metric": timer.metric,
                     "metric_label": timer.get_metric_display(), "target": timer.target.name,
                     "due_at": timer.due_at, "percent": percent,
                     "customer": timer.customer.name if timer.customer else "",
                     "team": timer.team.name if timer.team else "",
                     "priority": f"P{timer.priority}" if timer.priority else ""})
    return rows


def at_risk_count(filters: Filters, *, now: datetime | None = None, hours: int = AT_RISK_HOURS) -> int:
    """How many timers are at risk now (all of them, not only the listed ones)."""
    return _scoped(filters).at_risk(now or timezone.now(), hours).count()


def operational(filters: Filters) -> Filters:
    """The same filters over the assignment groups' operational level (OLA) timers."""
    return replace(filters, scope=TargetKind.OLA)


def dashboard(filters: Filters, *, now: datetime | None = None) -> dict:
    """Every table of the dashboard but the breaches, which it pages (breach_queryset, breach_rows).
    The service level figures are the customer's timers; `ola_by_team` the groups' operational
    level attainment, reported apart (one more grouped query)."""
    now = now or timezone.now()
    return {
        "at_risk_total": at_risk_count(filters, now=now),
        "totals": totals(filters),
        **{f"by_{group}": attainment(filters, group) for group in GROUPS},
        "trend": weekly_trend(filters),
        "durations": durations(filters),
        "at_risk": at_risk(filters, now=now),
        "ola_by_team": attainment(operational(filters), "team"),
    }


# --- the monthly service-level report -------------------------------------------------------

def monthly_report(agreement: Agreement, month: str) -> dict:
    """One agreement's month: its targets (current versions) with attainment and times, per
    service, and the breaches with their causes."""
    start, end = month_bounds(month)
    filters = Filters(start=start, end=end, agreement=agreement.pk)
    targets = list(agreement.targets.filter(is_current=True).select_related("calendar", "service", "team")
                   .order_by("kind", "metric", "name"))
    # Per target, service level and operational level alike (each target's own timers); the
    # totals, services and breaches are the customer's (service level).
    both = replace(filters, scope=None)
    per_lineage = {row["lineage"]: row for row in with_outcome(both).order_by()
                   .values(lineage=F("target__lineage")).annotate(**_counts())}
    times = {row["key"]: row for row in durations(both, by="target")}
    target_rows = []
    for target in targets:
        counts = per_lineage.get(target.lineage, {"met": 0, "breached": 0})
        target_rows.append({"target": target, "goal_hours": round(target.goal.total_seconds() / 3600, 2),
                            "met": counts["met"], "breached": counts["breached"],
                            "attainment": _rate(counts["met"], counts["breached"]),
                            "times": times.get(target.lineage)})
    return {
        "agreement": agreement, "month": month, "start": start, "end": end,
        "services": list(agreement.services.order_by("name")),
        "targets": target_rows,
        "totals": totals(filters),
        "by_service": attainment(filters, "service"),
        "durations": durations(filters),
        "breaches": breaches(filters, limit=None),
    }
