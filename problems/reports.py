"""Problem reports: the open problems by age and priority, time to root cause and to resolution,
incidents per problem, known errors by age (and the stale ones), recurring incidents not linked.

Shared by the report page (problems/views/reports.py, with CSV and XLSX exports) and the API
(problems/api/reports.py). Staff only (auditors included): callers check the role; these
functions read the whole tables. Counting is done by the database, a fixed number of queries
per table whatever the number of problems.

Definitions (also in docs/problems.md, "Reports"):
- open problems: in state new, assessment, root-cause analysis or known error, by age since
  they were opened (bands below) and priority;
- time to root cause: root cause found − opened, in days, of problems whose root cause was
  found in the period, by month it was found (a cause proved wrong clears the instant; it counts
  again when found again); time to resolution: resolved − opened, in days, of problems resolved
  in the period (resolved or closed since), by month of resolution;
- incidents per problem: how many problems have 0, 1, 2–4, 5–9, 10 or more linked incidents
  (cancelled problems left out), and the problems with the most;
- known errors: every known-error entry (known error, or resolved/closed with a workaround) by
  the age of its publication (of its resolution, when it was never published); stale: published more than KNOWN_ERROR_STALE_DAYS ago and still
  without a fix;
- recurring incidents not yet linked: the groups trend detection would propose now (the last
  PROBLEM_TREND_WINDOW_DAYS days, at least PROBLEM_TREND_THRESHOLD incidents linked to no
  problem; problems.trends), with the proposal on record for the group, if any.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.choices import Priority
from incidents.models import Incident
from incidents.reports import Period, PeriodForm, month_starts, period_from  # the same period form and default

from . import trends
from .choices import OPEN_STATES, ProblemState, ProposalBasis, ProposalState
from .models import Problem, TrendProposal

# (key, age in days from (inclusive), to (exclusive) or None); labels in age_labels()
AGE_BANDS = (("lt7", 0, 7), ("7to30", 7, 30), ("30to90", 30, 90), ("90to180", 90, 180), ("gt180", 180, None))
# (key, linked incidents from, to (inclusive) or None)
INCIDENT_BANDS = (("0", 0, 0), ("1", 1, 1), ("2to4", 2, 4), ("5to9", 5, 9), ("10plus", 10, None))
TOP_PROBLEMS = 10
RECURRING_LIMIT = 25


def age_labels() -> dict[str, str]:
    return {"lt7": _("< 7 days"), "7to30": _("7–30 days"), "30to90": _("30–90 days"),
            "90to180": _("90–180 days"), "gt180": _("> 180 days")}


def incident_band_labels() -> dict[str, str]:
    return {"0": _("No incident"), "1": _("1 incident"), "2to4": _("2–4 incidents"), "5to9": _("5–9 incidents"),
            "10plus": _("10 or more")}


def _age_condition(field: str, now: datetime, low: int, high: int | None) -> Q:
    condition = Q(**{f"{field}__lte": now - timedelta(days=low)})
    if high is not None:
        condition &= Q(**{f"{field}__gt": now - timedelta(days=high)})
    return condition


# --- open problems --------------------------------------------------------------------------------

def open_by_age_and_priority(now: datetime | None = None) -> list[dict]:
    """One row per age band: the open problems of each priority (P1..P5) and in all. One query."""
    now = now or timezone.now()
    aggregates = {}
    for key, low, high in AGE_BANDS:
        age = _age_condition("opened_at", now, low, high)
        for priority in Priority:
            aggregates[f"{key}_{priority.value}"] = Count("pk", filter=age & Q(priority=priority.value))
    counts = Problem.objects.open().aggregate(**aggregates)
    labels, rows = age_labels(), []
    for key, _low, _high in AGE_BANDS:
        by_priority = {priority.short: counts[f"{key}_{priority.value}"] for priority in Priority}
        rows.append({"band": key, "label": labels[key], **by_priority, "total": sum(by_priority.values())})
    return rows


def open_by_priority(rows: list[dict]) -> list[dict]:
    """The totals per priority of `open_by_age_and_priority` (no query)."""
    return [{"priority": p.value, "label": p.short, "name": str(p.label), "count": sum(r[p.short] for r in rows)}
            for p in Priority]


def open_by_state() -> list[dict]:
    """Every open state, with its count of problems (zero included). One query."""
    counts = dict(Problem.objects.open().order_by().values_list("state").annotate(n=Count("pk")))
    return [{"state": state.value, "label": str(state.label), "count": counts.get(state.value, 0)}
            for state in OPEN_STATES]


# --- time to root cause and to resolution ---------------------------------------------------------

def times_to_root_cause(period: Period) -> list[dict]:
    """Per month the root cause was found: count and mean days from opening. One query."""
    found = Problem.objects.filter(root_cause_found_at__gte=period.start_instant,
                                   root_cause_found_at__lt=period.end_instant)
    return _monthly_means(found.order_by().values_list("opened_at", "root_cause_found_at"), period)


def times_to_resolution(period: Period) -> list[dict]:
    """Per month of resolution: count and mean days from opening (resolved and closed problems;
    reopening clears the instant). One query."""
    resolved = Problem.objects.filter(state__in=(ProblemState.RESOLVED, ProblemState.CLOSED),
                                      resolved_at__gte=period.start_instant, resolved_at__lt=period.end_instant)
    return _monthly_means(resolved.order_by().values_list("opened_at", "resolved_at"), period)


def _monthly_means(pairs, period: Period) -> list[dict]:
    """Every month of the period (quiet ones with count 0 and no mean), from (start, end) pairs."""
    starts = month_starts(period)
    days_by_month = {month: [] for month, _start in starts[:-1]}
    for opened, reached in pairs:
        month = timezone.localtime(reached).strftime("%Y-%m")
        if month in days_by_month:
            days_by_month[month].append(max((reached - opened).total_seconds(), 0) / 86400)
    return [{"month": month, "count": len(days),
             "mean_days": round(sum(days) / len(days), 1) if days else None}
            for month, days in days_by_month.items()]


def mean_times(period: Period) -> list[dict]:
    """Both series side by side, one row per month (what the chart and the export show)."""
    cause = {row["month"]: row for row in times_to_root_cause(period)}
    resolution = {row["month"]: row for row in times_to_resolution(period)}
    return [{"month": month, "root_cause_count": cause[month]["count"],
             "root_cause_mean_days": cause[month]["mean_days"], "resolution_count": resolution[month]["count"],
             "resolution_mean_days": resolution[month]["mean_days"]} for month in cause]


# --- incidents per problem ------------------------------------------------------------------------

def _not_cancelled():
    return Problem.objects.exclude(state=ProblemState.CANCELLED)


def incidents_per_problem() -> list[dict]:
    """How many problems have how many linked incidents (cancelled problems left out). One query."""
    counted = _not_cancelled().annotate(linked=Count("incident_links")).order_by().values_list("linked", flat=True)
    labels = incident_band_labels()
    totals = {key: 0 for key, _low, _high in INCIDENT_BANDS}
    for linked in counted:
        for key, low, high in INCIDENT_BANDS:
            if linked >= low and (high is None or linked <= high):
                totals[key] += 1
                break
    return [{"band": key, "label": labels[key], "count": totals[key]} for key, _low, _high in INCIDENT_BANDS]


def top_problems(limit: int = TOP_PROBLEMS) -> list[dict]:
    """The problems with the most linked incidents, most first. One query."""
    rows = (_not_cancelled().annotate(linked=Count("incident_links")).filter(linked__gt=0)
            .order_by("-linked", "-opened_at", "-pk")
            .values("pk", "number", "short_description", "state", "priority", "linked")[:limit])
    states = dict(ProblemState.choices)
    return [{"id": row["pk"], "number": row["number"], "short_description": row["short_description"],
             "state": row["state"], "state_label": str(states[row["state"]]), "priority": f"P{row['priority']}",
             "incidents": row["linked"]} for row in rows]


# --- known errors ---------------------------------------------------------------------------------

def stale_before(now: datetime) -> datetime:
    return now - timedelta(days=settings.KNOWN_ERROR_STALE_DAYS)


def _stale(now: datetime) -> Q:
    # The same rule as the known-error list's flag: published long ago, still no fix on record.
    return Q(known_error_at__lt=stale_before(now), fix="")


def known_errors_by_age(now: datetime | None = None) -> list[dict]:
    """Known-error entries per age band since publication, with how many are stale. One query."""
    now = now or timezone.now()
    aggregates = {}
    for key, low, high in AGE_BANDS:
        age = _age_condition("published", now, low, high)
        aggregates[key] = Count("pk", filter=age)
        aggregates[f"{key}_stale"] = Count("pk", filter=age & _stale(now))
    # A problem resolved with a workaround without being published first is an entry since then.
    entries = Problem.objects.known_errors().annotate(published=Coalesce("known_error_at", "resolved_at",
                                                                         "opened_at"))
    counts = entries.aggregate(**aggregates)
    labels = age_labels()
    return [{"band": key, "label": labels[key], "count": counts[key], "stale": counts[f"{key}_stale"]}
            for key, _low, _high in AGE_BANDS]


def stale_known_errors(now: datetime | None = None) -> list[dict]:
    """The stale known errors, oldest first. One query."""
    now = now or timezone.now()
    rows = (Problem.objects.known_errors().filter(_stale(now)).order_by("known_error_at", "pk")
            .values("pk", "number", "short_description", "state", "known_error_at", "service__name"))
    states = dict(ProblemState.choices)
    return [{"id": row["pk"], "number": row["number"], "short_description": row["short_description"],
             "state_label": str(states[row["state"]]), "known_error_at": row["known_error_at"],
             "age_days": (now - row["known_error_at"]).days, "service": row["service__name"] or ""}
            for row in rows]


# --- recurring incidents not yet linked -----------------------------------------------------------

def recurring_unlinked(now: datetime | None = None, limit: int = RECURRING_LIMIT) -> dict:
    """The groups of recent incidents linked to no problem that trend detection would propose
    now, largest first, each with its first and last opening and the proposal on record for the
    group (pending, dismissed or accepted), if any. A fixed number of queries: the window's two
    reads and the names (problems.trends), the groups' instants, the proposals."""
    now = now or timezone.now()
    days, threshold = settings.PROBLEM_TREND_WINDOW_DAYS, settings.PROBLEM_TREND_THRESHOLD
    window = trends.read_window(now - timedelta(days=days))
    groups = trends.find_groups(window, threshold=threshold, window_days=days)
    groups = sorted(groups, key=lambda group: (-len(group.incident_ids), group.key))[:limit]
    instants = _first_and_last(groups)
    proposals = _latest_proposals([group.key for group in groups])
    bases, states = dict(ProposalBasis.choices), dict(ProposalState.choices)
    rows = []
    for group in groups:
        first, last = instants.get(group.key, (None, None))
        state = proposals.get(group.key)
        rows.append({"key": group.key, "basis": group.basis, "basis_label": str(bases[group.basis]),
                     "title": group.title, "incidents": len(group.incident_ids), "first_opened_at": first,
                     "last_opened_at": last, "proposal": state or "",
                     "proposal_label": str(states[state]) if state else ""})
    return {"window_days": days, "threshold": threshold, "groups": rows}


def _first_and_last(groups) -> dict[str, tuple]:
    """{group key: (first, last opening)}: one query over the groups' incidents."""
    ids = {pk for group in groups for pk in group.incident_ids}
    if not ids:
        return {}
    opened = dict(Incident.objects.filter(pk__in=ids).values_list("pk", "opened_at"))
    result = {}
    for group in groups:
        instants = [opened[pk] for pk in group.incident_ids if pk in opened]
        result[group.key] = (min(instants), max(instants)) if instants else (None, None)
    return result


def _latest_proposals(keys: list[str]) -> dict[str, str]:
    """{group key: state of its latest proposal}: one query."""
    if not keys:
        return {}
    latest = {}
    for key, state in (TrendProposal.objects.filter(key__in=keys).order_by("key", "detected_at", "pk")
                       .values_list("key", "state")):
        latest[key] = state
    return latest


# --- everything -----------------------------------------------------------------------------------

def report(period: Period, now: datetime | None = None) -> dict:
    """Every table of the report page."""
    now = now or timezone.now()
    by_age = open_by_age_and_priority(now)
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "open_by_age": by_age,
        "open_by_priority": open_by_priority(by_age),
        "open_by_state": open_by_state(),
        "mean_times": mean_times(period),
        "incidents_per_problem": incidents_per_problem(),
        "top_problems": top_problems(),
        "known_errors_by_age": known_errors_by_age(now),
        "stale_known_errors": stale_known_errors(now),
        "recurring": recurring_unlinked(now),
    }


__all__ = ["Period", "PeriodForm", "period_from", "report"]  # the period helpers, for the page and the API
