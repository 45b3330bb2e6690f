"""Incident reports: the open backlog, time to resolve, reassignment and reopen rates.

Shared by the report page (incidents/views/reports.py, with CSV exports) and the API
(incidents/api/reports.py). Staff only: callers check the role; these functions read the
whole table. Counting is done by the database (one grouped query per table); percentiles need
every value of a group, so resolution times are streamed in group order with `values_list`
and each group's durations are held only while that group is summarised.

Definitions (also in docs/incidents.md, "Reports"):
- backlog: incidents in an open state (new, in progress, on hold), by priority, by
  assignment group and by age since they were opened;
- time to resolve: resolved instant − opened instant, in hours (calendar time), of incidents
  whose resolved instant is in the period (resolved or closed since; a reopened incident
  counts again once it is resolved again), grouped by month of resolution (in the current
  time zone) and priority; p90 is the nearest-rank 90th percentile;
- reassignment rate: share of those incidents moved from one group to another at least once;
  reopen rate: share of those incidents reopened at least once.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.forms import StyledForm

from .choices import OPEN_STATES, IncidentState, Priority
from .models import Incident

DEFAULT_MONTHS = 6
# (key, age in days from (inclusive), to (exclusive) or None); labels in age_labels()
AGE_BUCKETS = (("lt1", 0, 1), ("1to3", 1, 3), ("3to7", 3, 7), ("7to30", 7, 30), ("gt30", 30, None))
STREAM_CHUNK = 2000
MAX_PERIOD_DAYS = 3 * 366


def age_labels() -> dict[str, str]:
    return {"lt1": _("< 1 day"), "1to3": _("1–3 days"), "3to7": _("3–7 days"), "7to30": _("7–30 days"),
            "gt30": _("> 30 days")}


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end` inclusive, in the current time zone."""

    start: date
    end: date

    @property
    def start_instant(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_instant(self) -> datetime:  # exclusive
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


def default_period(today: date | None = None) -> Period:
    """The current month and the five before it."""
    today = today or timezone.localdate()
    year, month = today.year, today.month - (DEFAULT_MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return Period(date(year, month, 1), today)


class PeriodForm(StyledForm):
    """The period of the resolution tables (page and API); the backlog is always as of now."""

    start = forms.DateField(label=gettext_lazy("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        default = default_period()
        start, end = data.get("start") or default.start, data.get("end") or default.end
        if start > end:
            raise forms.ValidationError(_("The start of the period must not be after its end."))
        if (end - start).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError(_("Choose a period of at most three years."))
        data["period"] = Period(start, end)
        return data


def period_from(query) -> tuple[PeriodForm, Period]:
    """The requested period, or the default one when the input is missing or wrong. The form
    shows the period used (the default's days where none were given)."""
    default = default_period()
    query = {"start": query.get("start") or default.start.isoformat(),
             "end": query.get("end") or default.end.isoformat()}
    form = PeriodForm(query)
    period = form.cleaned_data["period"] if form.is_valid() else default_period()
    return form, period


def _open():
    return Incident.objects.filter(state__in=OPEN_STATES)


def backlog_by_priority() -> list[dict]:
    """Every priority, with its count of open incidents (zero included)."""
    counts = dict(_open().order_by().values_list("priority").annotate(n=Count("pk")))
    return [{"priority": p.value, "label": p.short, "name": str(p.label), "count": counts.get(p.value, 0)}
            for p in Priority]


def backlog_by_group() -> list[dict]:
    """Open incidents per assignment group, largest first; unassigned ones as group None."""
    rows = (_open().order_by().values("assignment_group", "assignment_group__name")
            .annotate(n=Count("pk")).order_by("-n", "assignment_group__name"))
    return [{"group": row["assignment_group"], "name": row["assignment_group__name"] or _("(no group)"),
             "count": row["n"]} for row in rows]


def backlog_by_age(now: datetime | None = None) -> list[dict]:
    """Open incidents per age bucket (time since opened), in one query."""
    now = now or timezone.now()
    aggregates = {}
    for key, low, high in AGE_BUCKETS:
        condition = Q(opened_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(opened_at__gt=now - timedelta(days=high))
        aggregates[key] = Count("pk", filter=condition)
    counts = _open().aggregate(**aggregates)
    labels = age_labels()
    return [{"bucket": key, "label": labels[key], "count": counts[key]} for key, _low, _high in AGE_BUCKETS]


def _resolved_in(period: Period):
    # Only resolved and closed incidents have a resolution instant (reopening clears it); naming
    # the states lets the database use the (state, resolved_at) index.
    return Incident.objects.filter(state__in=(IncidentState.RESOLVED, IncidentState.CLOSED),
                                   resolved_at__gte=period.start_instant, resolved_at__lt=period.end_instant)


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list (p90 of 10 values is the 9th)."""
    rank = max(math.ceil(share * len(sorted_values)), 1)
    return sorted_values[rank - 1]


def month_starts(period: Period) -> list[tuple[str, datetime]]:
    """("YYYY-MM", first instant) of every month the period touches, then of the month after
    it (the end sentinel), in the current time zone."""
    starts, year, month = [], period.start.year, period.start.month
    while True:
        starts.append((f"{year:04d}-{month:02d}", timezone.make_aware(datetime(year, month, 1))))
        if (year, month) > (period.end.year, period.end.month):
            return starts
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def resolution_times(period: Period) -> list[dict]:
    """Per month of resolution and priority: count, mean and p90 hours to resolve.

    The resolved incidents stream in order of resolution (the state/resolved index); each month's
    durations are summarised when the stream passes into the next month and then dropped.
    """
    stream = (_resolved_in(period).order_by("resolved_at", "pk").values_list("priority", "opened_at", "resolved_at")
              .iterator(chunk_size=STREAM_CHUNK))
    starts = month_starts(period)
    rows, index, month_hours = [], 0, {}
    for priority, opened, resolved in stream:
        while resolved >= starts[index + 1][1]:
            rows += _summarise(starts[index][0], month_hours)
            index, month_hours = index + 1, {}
        month_hours.setdefault(priority, []).append((resolved - opened).total_seconds() / 3600)
    rows += _summarise(starts[index][0], month_hours)
    return rows


def _summarise(month: str, hours_by_priority: dict[int, list[float]]) -> list[dict]:
    rows = []
    for priority, hours in sorted(hours_by_priority.items()):
        hours.sort()
        rows.append({
            "month": month, "priority": priority, "label": Priority(priority).short, "count": len(hours),
            "mean_hours": round(sum(hours) / len(hours), 2), "p90_hours": round(percentile(hours, 0.9), 2),
        })
    return rows


def rates(period: Period) -> dict:
    """Reassignment and reopen rates among the incidents resolved in the period."""
    counts = _resolved_in(period).aggregate(
        resolved=Count("pk"),
        reassigned=Count("pk", filter=Q(reassignment_count__gt=0)),
        reopened=Count("pk", filter=Q(reopen_count__gt=0)),
    )
    total = counts["resolved"]

    def share(n):
        return round(100 * n / total, 1) if total else None

    return {**counts, "reassignment_rate": share(counts["reassigned"]), "reopen_rate": share(counts["reopened"])}


def report(period: Period, now: datetime | None = None) -> dict:
    """Every table of the report page."""
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "backlog_by_priority": backlog_by_priority(),
        "backlog_by_group": backlog_by_group(),
        "backlog_by_age": backlog_by_age(now),
        "resolution_times": resolution_times(period),
        "rates": rates(period),
    }
