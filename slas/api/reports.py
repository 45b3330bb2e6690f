"""SLA reports as JSON (/api/v1/slas/reports/...): the numbers of the dashboard.

Staff read (auditors and read-only tokens included); nobody writes. Both endpoints take
`?from=YYYY-MM-DD&to=YYYY-MM-DD` (default: this month to today) and the dashboard's filters
`customer`, `service`, `team`, `priority`, `metric` (ids, 1–5, response|resolution), and `scope`:
`sla` (default: the customer's service level timers) or `ola` (the assignment groups'
operational level timers, reported apart; `team` is then the timer's group). Cycles count as their
target's counting option says. Definitions: slas/reports.py and docs/slas.md, "Dashboard and reports".
"""

from dataclasses import replace

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.permissions import STAFF_ROLES

from .. import reports
from ..choices import TargetKind
from ..filtersets import ReportFilterForm

BREACH_API_LIMIT = 1000  # latest first; the CSV export of the dashboard lists them all
PARAMETERS = [
    OpenApiParameter("from", str, description="First day of the period (YYYY-MM-DD)."),
    OpenApiParameter("to", str, description="Last day of the period, inclusive (YYYY-MM-DD)."),
    OpenApiParameter("customer", int), OpenApiParameter("service", int), OpenApiParameter("team", int),
    OpenApiParameter("priority", int), OpenApiParameter("metric", str, enum=["response", "resolution"]),
    OpenApiParameter("scope", str, enum=["sla", "ola"], description=(
        "sla (default): the customer's service level timers; ola: the assignment groups' operational level "
        "timers (an OLA breach is not an SLA breach), `team` and group_by=team being the timer's group.")),
]


def _filters(request) -> reports.Filters:
    query = request.query_params
    data = {"period": "custom", "start": query.get("from", ""), "end": query.get("to", "")}
    for name in ("customer", "service", "team", "priority", "metric"):
        data[name] = query.get(name, "")
    form = ReportFilterForm(data)
    if not form.is_valid():
        names = {"start": "from", "end": "to", "__all__": "non_field_errors"}
        raise ValidationError({names.get(name, name): [str(e) for e in errors] for name, errors in form.errors.items()})
    scope = query.get("scope", "") or TargetKind.SLA
    if scope not in TargetKind.values:
        raise ValidationError({"scope": [f"One of: {', '.join(TargetKind.values)}."]})
    return replace(form.cleaned_data["filters"], scope=scope)


class ReportView(APIView):
    read_roles = STAFF_ROLES
    write_roles = ()


class AttainmentReportView(ReportView):
    """Met, breached and attainment (met ÷ (met + breached), percent) per group."""

    @extend_schema(parameters=[*PARAMETERS, OpenApiParameter(
        "group_by", str, enum=list(reports.GROUPS), description="Default: service.")],
        responses=inline_serializer("SlaAttainmentReport", fields={
            "from": serializers.DateField(), "to": serializers.DateField(), "group_by": serializers.CharField(),
            "met": serializers.IntegerField(), "breached": serializers.IntegerField(),
            "attainment": serializers.FloatField(allow_null=True),
            "rows": inline_serializer("SlaAttainmentRow", many=True, fields={
                "key": serializers.JSONField(allow_null=True, help_text=(
                    "What the row groups by: an id (service, customer, team), a priority number or a "
                    "month; null for the records without one.")),
                "label": serializers.CharField(),
                "met": serializers.IntegerField(), "breached": serializers.IntegerField(),
                "total": serializers.IntegerField(), "attainment": serializers.FloatField(allow_null=True)}),
        }))
    def get(self, request):
        filters = _filters(request)
        group_by = request.query_params.get("group_by", "service")
        if group_by not in reports.GROUPS:
            raise ValidationError({"group_by": [f"One of: {', '.join(reports.GROUPS)}."]})
        totals = reports.totals(filters)
        rows = [{**row, "label": str(row["label"])} for row in reports.attainment(filters, group_by)]
        return Response({"from": filters.start, "to": filters.end, "group_by": group_by, "met": totals["met"],
                         "breached": totals["breached"], "attainment": totals["attainment"], "rows": rows})


class BreachReportView(ReportView):
    """Breached timers of the period (by breach instant), latest first, with the events that
    explain them."""

    @extend_schema(parameters=PARAMETERS, responses=inline_serializer("SlaBreachReport", fields={
        "from": serializers.DateField(), "to": serializers.DateField(), "count": serializers.IntegerField(),
        "rows": inline_serializer("SlaBreachRow", many=True, fields={
            "timer": serializers.IntegerField(), "record": serializers.CharField(),
            "url": serializers.CharField(allow_null=True), "metric": serializers.CharField(),
            "target": serializers.CharField(), "goal_hours": serializers.FloatField(),
            "started_at": serializers.DateTimeField(), "due_at": serializers.DateTimeField(allow_null=True),
            "breached_at": serializers.DateTimeField(), "stopped_at": serializers.DateTimeField(allow_null=True),
            "state": serializers.CharField(), "customer": serializers.CharField(), "team": serializers.CharField(),
            "service": serializers.CharField(), "priority": serializers.CharField(),
            "cycle": serializers.IntegerField(help_text="The timer's cycle (1 unless its target restarts)."),
            "group": serializers.CharField(help_text="An operational level timer's assignment group; empty for "
                                                     "the customer's."),
            "paused_for": serializers.CharField(),
            "causes": inline_serializer("SlaBreachCause", many=True, fields={
                "kind": serializers.CharField(), "at": serializers.DateTimeField(),
                "cause": serializers.CharField(), "reason": serializers.CharField(),
                "percent": serializers.IntegerField(allow_null=True)}),
        }),
    }))
    def get(self, request):
        filters = _filters(request)
        rows = []
        for row in reports.breaches(filters, limit=BREACH_API_LIMIT):
            row = {key: value for key, value in row.items() if key not in ("goal", "metric_label", "breach_cause")}
            row["causes"] = [{key: c[key] for key in ("kind", "at", "cause", "reason", "percent")}
                             for c in row["causes"]]
            rows.append(row)
        return Response({"from": filters.start, "to": filters.end, "count": len(rows), "rows": rows})


urlpatterns = [
    path("reports/attainment/", AttainmentReportView.as_view(), name="report-attainment"),
    path("reports/breaches/", BreachReportView.as_view(), name="report-breaches"),
]
