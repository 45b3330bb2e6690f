"""Change reports: success rate, emergency share, changes by model and risk, approval lead time,
incidents caused by changes, unauthorised changes, conflicts overridden.

Shared by the report page (changes/views/reports.py, with CSV and XLSX exports) and the API
(changes/api/reports.py). Staff only (auditors included): callers check the role; these
functions read the whole tables. The database counts (a grouped query per table); percentiles
are picked from a stream of durations sorted by the database, so memory stays constant
whatever the number of approvals. A fixed number of queries per report.

Every report covers a period (whole days in the current time zone; by default the current week
and the eleven before it) and may keep only the changes of one service (affected or impacted)
and of one assignment group. Definitions:
- success rate: changes closed in the period (closed_at) by close code; cancelled ones are
  shown but left out of the rate: successful + successful with issues over every implemented
  change (closed with any other code), per week or month of closing;
- emergency share: emergency changes over every change raised (opened) in the period;
- model and risk: the changes raised in the period by change model and risk level;
- approval lead time: authorisation requests (itsm.approvals, purpose "authorisation") on
  changes completed in the period: hours from the request to its approval, median and
  nearest-rank 90th percentile per change model; rejected requests counted apart;
- incidents caused: changes whose implementation started in the period (actual_start), how
  many of them caused at least one incident (Change.caused_incidents) and how many incidents;
- unauthorised changes: exceptions detected in the period by state and by CI (with a service:
  the CIs the service depends on, up to CHANGE_IMPACT_DEPTH; with a group: the CIs it owns);
- conflicts overridden: conflicts someone scheduled despite (overridden_at in the period), by
  kind, with the change, the cause and the reason.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, DateTimeField, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.db.models.functions import Trunc
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config_items.models import ConfigurationItem
from config_items.selectors import dependencies_of
from incidents.reports import MAX_PERIOD_DAYS, Period
from itsm.approval_models import ApprovalRequest, ApprovalState
from itsm.forms import StyledForm
from itsm.models import Team
from itsm.widgets import SearchSelect, chosen, limit_to_chosen
from slas.reports import last_weeks

from .choices import FINAL_STATES, SUCCESS_CODES, ChangeModel, CloseCode, ConflictKind, ExceptionState, RiskLevel
from .models import Change, ChangeConflict, UnauthorisedChange
from .selectors_approvals import PURPOSE

AUTHORISATION = PURPOSE  # the purpose of a change's authorisation request
WEEK, MONTH = "week", "month"
WEEKLY_UP_TO_DAYS = 26 * 7  # a longer period is shown per month unless weeks are asked for
STREAM_CHUNK = 2000
TOP_ROWS = 20
OVERRIDE_ROWS = 200
UNASSESSED = "unassessed"
TOTAL = "total"
RISK_KEYS = (*RiskLevel.values, UNASSESSED)
# Tabler colours (hex) of the risk levels, and grey for "not assessed", for the chart.
RISK_COLOURS = {"low": "#2fb344", "moderate": "#f59f00", "high": "#f76707", "very_high": "#d63939",
                UNASSESSED: "#868e96"}


@dataclass(frozen=True)
class Scope:
    """What a report covers: the period, and optionally one service and one assignment group
    (their ids); `interval`: the trends' step (WEEK or MONTH)."""

    period: Period
    service: int | None = None
    group: int | None = None
    interval: str = WEEK
    labels: dict = field(default_factory=dict, compare=False)  # names of the service and group shown

    @property
    def start(self) -> date:
        return self.period.start

    @property
    def end(self) -> date:
        return self.period.end

    @property
    def filtered(self) -> bool:
        return self.service is not None or self.group is not None

    def within(self, name: str) -> Q:
        return Q(**{f"{name}__gte": self.period.start_instant, f"{name}__lt": self.period.end_instant})

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "service": self.service, "group": self.group,
                "interval": self.interval}


def default_interval(start: date, end: date) -> str:
    return WEEK if (end - start).days < WEEKLY_UP_TO_DAYS else MONTH


def default_scope() -> Scope:
    start, end = last_weeks()
    return Scope(Period(start, end), interval=default_interval(start, end))


# --- the filter form (page and API) -------------------------------------------------------------

class ReportForm(StyledForm):
    """Period, service, assignment group and the trends' step; its cleaned `scope` is what every
    report function takes."""

    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    service = forms.ModelChoiceField(label=gettext_lazy("Service"), required=False, queryset=None,
                                     widget=SearchSelect())  # services grow with the CMDB: searched, not listed
    group = forms.ModelChoiceField(label=gettext_lazy("Assignment group"), required=False,
                                   queryset=Team.objects.order_by("name"),
                                   widget=forms.Select({"data-tom-select": "single"}))
    interval = forms.ChoiceField(label=gettext_lazy("Trend by"), required=False,
                                 choices=[("", gettext_lazy("Automatic")), (WEEK, gettext_lazy("Week")),
                                          (MONTH, gettext_lazy("Month"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = ConfigurationItem.objects.filter(ci_type__is_service=True)
        self.fields["service"].widget.attrs["data-search-url"] = reverse("ci_search") + "?service=1"
        limit_to_chosen(self.fields["service"], chosen(self, "service"))

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        default = default_scope()
        start, end = data.get("start") or default.start, data.get("end") or default.end
        if start > end:
            raise forms.ValidationError(_("The start of the period must not be after its end."))
        if (end - start).days > MAX_PERIOD_DAYS:
            raise forms.ValidationError(_("Choose a period of at most three years."))
        service, group = data.get("service"), data.get("group")
        data["scope"] = Scope(Period(start, end), service=service.pk if service else None,
                              group=group.pk if group else None,
                              interval=data.get("interval") or default_interval(start, end),
                              labels={"service": str(service) if service else "", "group": str(group or "")})
        return data


def scope_from(query) -> tuple[ReportForm, Scope]:
    """The requested scope, or the default one (the last 12 weeks, unfiltered) when the input is
    wrong; the form shows the days used."""
    form = ReportForm(query)
    if not form.is_valid():
        return form, default_scope()
    scope = form.cleaned_data["scope"]
    shown = query.copy() if hasattr(query, "copy") else dict(query)
    shown["start"], shown["end"] = scope.start.isoformat(), scope.end.isoformat()
    return ReportForm(shown), scope


# --- trends -------------------------------------------------------------------------------------

def buckets(scope: Scope) -> list[date]:
    """The first day of every week (Monday) or month the period touches."""
    if scope.interval == MONTH:
        day, result = scope.start.replace(day=1), []
        while day <= scope.end:
            result.append(day)
            day = (day + timedelta(days=32)).replace(day=1)
        return result
    day = scope.start - timedelta(days=scope.start.weekday())
    return [day + timedelta(weeks=n) for n in range((scope.end - day).days // 7 + 1)]


def bucket_label(day: date, interval: str) -> str:
    return day.strftime("%Y-%m") if interval == MONTH else day.isoformat()


def _trunc(name: str, scope: Scope) -> Trunc:
    return Trunc(name, scope.interval, output_field=DateTimeField(), tzinfo=timezone.get_current_timezone())


def _per_bucket(queryset, instant: str, scope: Scope, **counts) -> list[dict]:
    """One row per bucket of the period (quiet ones with zeros): `counts` (Count aggregates) of
    `queryset` by the bucket of its `instant`. One query."""
    grouped = (queryset.order_by().annotate(bucket=_trunc(instant, scope)).values("bucket")
               .annotate(**counts))
    found = {timezone.localtime(row.pop("bucket")).date(): row for row in grouped}
    zeros = dict.fromkeys(counts, 0)
    return [{"bucket": bucket_label(day, scope.interval), **found.get(day, zeros)} for day in buckets(scope)]


def share(part: int, whole: int) -> float | None:
    """`part` of `whole` in per cent, one decimal; None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None


# --- the changes a report counts ------------------------------------------------------------------

def changes_in_scope(scope: Scope):
    """Every change of the scope's group and service (affected or impacted), any time."""
    changes = Change.objects.all()
    if scope.group is not None:
        changes = changes.filter(assignment_group_id=scope.group)
    if scope.service is not None:
        affected = Change.services.through.objects.filter(configurationitem_id=scope.service)
        impacted = Change.impacted_services.through.objects.filter(configurationitem_id=scope.service)
        changes = changes.filter(Q(pk__in=affected.values("change_id")) | Q(pk__in=impacted.values("change_id")))
    return changes


def _raised(scope: Scope):
    return changes_in_scope(scope).filter(scope.within("opened_at"))


# --- success rate --------------------------------------------------------------------------------

def success(scope: Scope) -> dict:
    """Changes closed (or cancelled) in the period by close code, the success rate of the
    implemented ones, and its trend. Two queries."""
    finished = changes_in_scope(scope).filter(scope.within("closed_at"), state__in=FINAL_STATES)
    counts = dict(finished.order_by().values_list("close_code").annotate(n=Count("pk")))
    by_code = [{"code": code.value, "label": str(code.label), "count": counts.get(code.value, 0)} for code in CloseCode]
    implemented = sum(row["count"] for row in by_code if row["code"] != CloseCode.CANCELLED)
    successful = sum(row["count"] for row in by_code if row["code"] in SUCCESS_CODES)
    trend = _per_bucket(finished.exclude(close_code=CloseCode.CANCELLED), "closed_at", scope,
                        implemented=Count("pk"), successful=Count("pk", filter=Q(close_code__in=SUCCESS_CODES)))
    for row in trend:
        row["rate"] = share(row["successful"], row["implemented"])
    return {"summary": {"implemented": implemented, "successful": successful,
                        "cancelled": counts.get(CloseCode.CANCELLED, 0), "rate": share(successful, implemented)},
            "by_code": by_code, "trend": trend}


# --- emergency share -----------------------------------------------------------------------------

def emergency(scope: Scope) -> dict:
    """Changes raised in the period, the emergency ones among them, per bucket. One query."""
    trend = _per_bucket(_raised(scope), "opened_at", scope, raised=Count("pk"),
                        emergency=Count("pk", filter=Q(change_model=ChangeModel.EMERGENCY)))
    for row in trend:
        row["share"] = share(row["emergency"], row["raised"])
    raised, urgent = sum(row["raised"] for row in trend), sum(row["emergency"] for row in trend)
    return {"summary": {"raised": raised, "emergency": urgent, "share": share(urgent, raised)}, "trend": trend}


# --- model and risk ------------------------------------------------------------------------------

def model_risk(scope: Scope) -> list[dict]:
    """One row per change model (then the total): the changes raised in the period per risk
    level ("unassessed": no risk yet). One query."""
    counts = {(model, risk or UNASSESSED): n for model, risk, n in
              _raised(scope).order_by().values_list("change_model", "risk").annotate(n=Count("pk"))}
    rows = []
    for model in ChangeModel:
        by_risk = {risk: counts.get((model.value, risk), 0) for risk in RISK_KEYS}
        rows.append({"model": model.value, "label": str(model.label), **by_risk, "total": sum(by_risk.values())})
    totals = {key: sum(row[key] for row in rows) for key in (*RISK_KEYS, "total")}
    return [*rows, {"model": TOTAL, "label": _("All changes"), **totals}]


def risk_labels() -> dict[str, str]:
    return {**{level.value: str(level.label) for level in RiskLevel}, UNASSESSED: _("Not assessed")}


# --- approval lead time --------------------------------------------------------------------------

def _authorisations(scope: Scope):
    """The change authorisation requests decided in the period, with their change's model."""
    requests = ApprovalRequest.objects.filter(
        scope.within("completed_at"), content_type=ContentType.objects.get_for_model(Change),
        purpose=AUTHORISATION, state__in=(ApprovalState.APPROVED, ApprovalState.REJECTED))
    if scope.filtered:
        requests = requests.filter(object_id__in=changes_in_scope(scope).values("pk"))
    model = Change.objects.filter(pk=OuterRef("object_id")).values("change_model")[:1]
    return requests.annotate(change_model=Subquery(model)).order_by()


def _ranks(count: int) -> tuple[tuple[int, ...], int]:
    """1-based positions of the median (one or two) and of the nearest-rank 90th percentile."""
    middle = (count + 1) // 2
    median = (middle,) if count % 2 else (middle, middle + 1)
    return median, max(math.ceil(0.9 * count), 1)


def _pick(stream, counts: dict) -> dict:
    """{key: (median, p90)} in hours from (key, duration) pairs sorted by key then duration, where
    `counts` says how many pairs each key has: only the values at the wanted positions are kept."""
    picked, current, position = {}, object(), 0
    for key, lead in stream:
        position = position + 1 if key == current else 1
        current = key
        if key not in counts:  # decided between the two queries: left for the next reading
            continue
        median_at, p90_at = _ranks(counts[key])
        entry = picked.setdefault(key, {"median": [], "p90": None})
        hours = max(lead.total_seconds(), 0) / 3600
        if position in median_at:
            entry["median"].append(hours)
        if position == p90_at:
            entry["p90"] = hours
    return {key: (round(sum(entry["median"]) / len(entry["median"]), 1) if entry["median"] else None,
                  round(entry["p90"], 1) if entry["p90"] is not None else None) for key, entry in picked.items()}


def lead_time(scope: Scope) -> list[dict]:
    """Per change model (then in all): authorisations approved in the period with the median and
    90th percentile of their lead time in hours, and the requests rejected. Three queries."""
    requests = _authorisations(scope)
    counts = {row["change_model"]: row for row in requests.values("change_model").annotate(
        approved=Count("pk", filter=Q(state=ApprovalState.APPROVED)),
        rejected=Count("pk", filter=Q(state=ApprovalState.REJECTED)))}
    approved = requests.filter(state=ApprovalState.APPROVED).annotate(
        lead=ExpressionWrapper(F("completed_at") - F("requested_at"), output_field=DurationField()))
    per_model = _pick(approved.order_by("change_model", "lead").values_list("change_model", "lead")
                      .iterator(chunk_size=STREAM_CHUNK), {key: row["approved"] for key, row in counts.items()})
    rows = []
    for model in ChangeModel:
        row = counts.get(model.value, {})
        median, p90 = per_model.get(model.value, (None, None))
        rows.append({"model": model.value, "label": str(model.label), "approved": row.get("approved", 0),
                     "median_hours": median, "p90_hours": p90, "rejected": row.get("rejected", 0)})
    total_approved = sum(row["approved"] for row in rows)
    overall = _pick(((TOTAL, lead) for lead in approved.order_by("lead").values_list("lead", flat=True)
                     .iterator(chunk_size=STREAM_CHUNK)), {TOTAL: total_approved}) if total_approved else {}
    median, p90 = overall.get(TOTAL, (None, None))
    rows.append({"model": TOTAL, "label": _("All changes"), "approved": total_approved, "median_hours": median,
                 "p90_hours": p90, "rejected": sum(row["rejected"] for row in rows)})
    return rows


# --- incidents caused by changes -----------------------------------------------------------------

def _implemented(scope: Scope):
    return changes_in_scope(scope).filter(scope.within("actual_start"))


CAUSED_COUNTS = {
    "implemented": Count("pk", distinct=True),
    "causing": Count("pk", distinct=True, filter=Q(caused_incidents__isnull=False)),
    "incidents": Count("caused_incidents", distinct=True),
}


def incidents(scope: Scope) -> dict:
    """Per change model (then in all): changes implemented in the period, those that caused at
    least one incident, their share and the incidents; and the changes that caused the most.
    Three queries."""
    implemented = _implemented(scope).order_by()
    counts = {row.pop("change_model"): row for row in implemented.values("change_model").annotate(**CAUSED_COUNTS)}
    zeros = dict.fromkeys(CAUSED_COUNTS, 0)
    rows = [{"model": model.value, "label": str(model.label), **counts.get(model.value, zeros)}
            for model in ChangeModel]
    # An incident caused by changes of two models counts once in all: a query of its own.
    rows.append({"model": TOTAL, "label": _("All changes"), **implemented.aggregate(**CAUSED_COUNTS)})
    for row in rows:
        row["share"] = share(row["causing"], row["implemented"])
    return {"by_model": rows, "top_changes": top_causing(scope)}


def top_causing(scope: Scope, limit: int = TOP_ROWS) -> list[dict]:
    """The changes implemented in the period that caused the most incidents. One query."""
    found = (_implemented(scope).annotate(caused=Count("caused_incidents")).filter(caused__gt=0)
             .order_by("-caused", "-actual_start", "-pk")
             .values("pk", "number", "short_description", "change_model", "close_code", "actual_start",
                     "caused")[:limit])
    models, codes = dict(ChangeModel.choices), dict(CloseCode.choices)
    return [{"id": row["pk"], "number": row["number"], "short_description": row["short_description"],
             "model": row["change_model"], "model_label": str(models[row["change_model"]]),
             "close_code": row["close_code"], "close_code_label": str(codes.get(row["close_code"], "")),
             "actual_start": row["actual_start"], "incidents": row["caused"]} for row in found]


# --- unauthorised changes ------------------------------------------------------------------------

def _exceptions(scope: Scope):
    found = UnauthorisedChange.objects.filter(scope.within("detected_at"))
    if scope.group is not None:
        found = found.filter(ci__owner_team_id=scope.group)
    if scope.service is not None:
        reach = dependencies_of([scope.service], depth=settings.CHANGE_IMPACT_DEPTH, limit=5000)
        found = found.filter(ci_id__in=list(reach))
    return found.order_by()


def unauthorised(scope: Scope, limit: int = TOP_ROWS) -> dict:
    """Unauthorised CI changes detected in the period by state, and the CIs with the most.
    Two queries (three with a service: its dependencies)."""
    found = _exceptions(scope)
    counts = dict(found.values_list("state").annotate(n=Count("pk")))
    by_state = [{"state": state.value, "label": str(state.label), "count": counts.get(state.value, 0)}
                for state in ExceptionState]
    top = (found.values("ci_id", "ci__number", "ci__name")
           .annotate(n=Count("pk"), open=Count("pk", filter=Q(state=ExceptionState.OPEN)))
           .order_by("-n", "ci__name", "ci_id")[:limit])
    top_cis = [{"id": row["ci_id"], "number": row["ci__number"], "name": row["ci__name"], "count": row["n"],
                "open": row["open"]} for row in top]
    return {"total": sum(counts.values()), "by_state": by_state, "top_cis": top_cis}


# --- conflicts overridden ------------------------------------------------------------------------

def _overridden(scope: Scope):
    found = ChangeConflict.objects.filter(scope.within("overridden_at"))
    if scope.filtered:
        found = found.filter(change_id__in=changes_in_scope(scope).values("pk"))
    return found


def overrides(scope: Scope, limit: int = OVERRIDE_ROWS) -> dict:
    """Conflicts overridden in the period by kind, and the latest `limit` of them with their
    change, cause and reason. Two queries."""
    counts = dict(_overridden(scope).order_by().values_list("kind").annotate(n=Count("pk")))
    by_kind = [{"kind": kind.value, "label": str(kind.label), "count": counts.get(kind.value, 0)}
               for kind in ConflictKind]
    return {"total": sum(counts.values()), "by_kind": by_kind, "rows": list(override_rows(scope, limit))}


def override_rows(scope: Scope, limit: int | None = None):
    """The conflicts overridden in the period, latest first (all of them without `limit`),
    streamed. One query."""
    found = _overridden(scope).order_by("-overridden_at", "-pk").values(
        "pk", "kind", "detail", "override_reason", "overridden_at", "change_id", "change__number",
        "change__short_description", "change__conflict_override_reason", "other_change__number",
        "overridden_by__username", "overridden_by__first_name", "overridden_by__last_name")
    found = found[:limit] if limit is not None else found.iterator(chunk_size=STREAM_CHUNK)
    kinds = dict(ConflictKind.choices)
    for row in found:
        yield {"id": row["pk"], "overridden_at": row["overridden_at"], "change_id": row["change_id"],
               "change": row["change__number"], "short_description": row["change__short_description"],
               "kind": row["kind"], "kind_label": str(kinds[row["kind"]]), "cause": row["detail"],
               "other_change": row["other_change__number"] or "",
               "reason": row["override_reason"] or row["change__conflict_override_reason"],
               "overridden_by": _person(row, "overridden_by__")}


def _person(row: dict, prefix: str) -> str:
    full = f"{row[prefix + 'first_name']} {row[prefix + 'last_name']}".strip()
    return full or row[prefix + "username"] or ""


# --- everything ----------------------------------------------------------------------------------

SECTIONS = {
    "success": success,
    "emergency": emergency,
    "model_risk": model_risk,
    "lead_time": lead_time,
    "incidents": incidents,
    "unauthorised": unauthorised,
    "overrides": overrides,
}


# Tables only the exports have: every override (the page shows the latest OVERRIDE_ROWS).
EXPORT_ONLY = {"override_rows": override_rows}


def report(scope: Scope) -> dict:
    """Every section of the report page, computed once."""
    return {name: compute(scope) for name, compute in SECTIONS.items()}
