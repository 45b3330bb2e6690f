"""Incident reports as JSON (/api/v1/incidents/reports/...): the numbers of the report page.

Staff read (auditors and read-only tokens included); nobody writes. The resolution endpoints
take `?start=YYYY-MM-DD&end=YYYY-MM-DD` (default: the current month and the five before).
"""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.permissions import STAFF_ROLES

from .. import reports

PERIOD_PARAMETERS = [
    OpenApiParameter("start", str, description="First day of the period (YYYY-MM-DD)."),
    OpenApiParameter("end", str, description="Last day of the period, inclusive (YYYY-MM-DD)."),
]


def _period(request) -> reports.Period:
    form = reports.PeriodForm(request.query_params)
    if not form.is_valid():
        raise ValidationError({name if name != "__all__" else "non_field_errors": [str(e) for e in errors]
                               for name, errors in form.errors.items()})
    return form.cleaned_data["period"]


def _count_rows(serializer_name: str, **fields):
    return inline_serializer(serializer_name, fields={**fields, "count": serializers.IntegerField()}, many=True)


class ReportView(APIView):
    read_roles = STAFF_ROLES
    write_roles = ()


class BacklogReportView(ReportView):
    """Open incidents now, by priority, by assignment group and by age."""

    @extend_schema(responses=inline_serializer("IncidentBacklogReport", fields={
        "by_priority": _count_rows("BacklogPriorityRow", priority=serializers.IntegerField(),
                                   label=serializers.CharField(), name=serializers.CharField()),
        "by_group": _count_rows("BacklogGroupRow", group=serializers.IntegerField(allow_null=True),
                                name=serializers.CharField()),
        "by_age": _count_rows("BacklogAgeRow", bucket=serializers.CharField(), label=serializers.CharField()),
    }))
    def get(self, request):
        return Response({"by_priority": reports.backlog_by_priority(), "by_group": reports.backlog_by_group(),
                         "by_age": reports.backlog_by_age()})


class ResolutionReportView(ReportView):
    """Mean and p90 hours to resolve, per month of resolution and priority."""

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=inline_serializer("IncidentResolutionReport", fields={
        "start": serializers.DateField(), "end": serializers.DateField(),
        "rows": inline_serializer("ResolutionRow", many=True, fields={
            "month": serializers.CharField(), "priority": serializers.IntegerField(), "label": serializers.CharField(),
            "count": serializers.IntegerField(), "mean_hours": serializers.FloatField(),
            "p90_hours": serializers.FloatField()}),
    }))
    def get(self, request):
        period = _period(request)
        return Response({"start": period.start, "end": period.end, "rows": reports.resolution_times(period)})


class RatesReportView(ReportView):
    """Reassignment and reopen rates (percent) among the incidents resolved in the period."""

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=inline_serializer("IncidentRatesReport", fields={
        "start": serializers.DateField(), "end": serializers.DateField(),
        "resolved": serializers.IntegerField(), "reassigned": serializers.IntegerField(),
        "reopened": serializers.IntegerField(),
        "reassignment_rate": serializers.FloatField(allow_null=True),
        "reopen_rate": serializers.FloatField(allow_null=True),
    }))
    def get(self, request):
        period = _period(request)
        return Response({"start": period.start, "end": period.end, **reports.rates(period)})


urlpatterns = [
    path("reports/backlog/", BacklogReportView.as_view(), name="report-backlog"),
    path("reports/resolution-times/", ResolutionReportView.as_view(), name="report-resolution-times"),
    path("reports/rates/", RatesReportView.as_view(), name="report-rates"),
]
