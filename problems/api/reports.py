"""Problem reports as JSON (/api/v1/problems/reports/...): the numbers of the report page.

Staff read (auditors and read-only tokens included); nobody writes. `times/` takes
`?start=YYYY-MM-DD&end=YYYY-MM-DD` (default: the current month and the five before).
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
PRIORITY_FIELDS = {p: serializers.IntegerField() for p in ("P1", "P2", "P3", "P4", "P5")}


def _period(request) -> reports.Period:
    form = reports.PeriodForm(request.query_params)
    if not form.is_valid():
        raise ValidationError({name if name != "__all__" else "non_field_errors": [str(e) for e in errors]
                               for name, errors in form.errors.items()})
    return form.cleaned_data["period"]


def _rows(serializer_name: str, **fields):
    return inline_serializer(serializer_name, fields=fields, many=True)


class ReportView(APIView):
    read_roles = STAFF_ROLES
    write_roles = ()


class OpenProblemsReportView(ReportView):
    """Open problems now: by age band and priority, by priority, by state."""

    @extend_schema(responses=inline_serializer("ProblemOpenReport", fields={
        "by_age": _rows("ProblemAgeRow", band=serializers.CharField(), label=serializers.CharField(),
                        total=serializers.IntegerField(), **PRIORITY_FIELDS),
        "by_priority": _rows("ProblemPriorityRow", priority=serializers.IntegerField(), label=serializers.CharField(),
                             name=serializers.CharField(), count=serializers.IntegerField()),
        "by_state": _rows("ProblemStateRow", state=serializers.CharField(), label=serializers.CharField(),
                          count=serializers.IntegerField()),
    }))
    def get(self, request):
        by_age = reports.open_by_age_and_priority()
        return Response({"by_age": by_age, "by_priority": reports.open_by_priority(by_age),
                         "by_state": reports.open_by_state()})


class TimesReportView(ReportView):
    """Mean days from opening to root cause found and to resolution, per month of the period."""

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=inline_serializer("ProblemTimesReport", fields={
        "start": serializers.DateField(), "end": serializers.DateField(),
        "rows": _rows("ProblemTimesRow", month=serializers.CharField(),
                      root_cause_count=serializers.IntegerField(),
                      root_cause_mean_days=serializers.FloatField(allow_null=True),
                      resolution_count=serializers.IntegerField(),
                      resolution_mean_days=serializers.FloatField(allow_null=True)),
    }))
    def get(self, request):
        period = _period(request)
        return Response({"start": period.start, "end": period.end, "rows": reports.mean_times(period)})


class IncidentsPerProblemReportView(ReportView):
    """How many problems have how many linked incidents, and the problems with the most."""

    @extend_schema(responses=inline_serializer("ProblemIncidentsReport", fields={
        "distribution": _rows("ProblemIncidentsBand", band=serializers.CharField(), label=serializers.CharField(),
                              count=serializers.IntegerField()),
        "top": _rows("ProblemMostIncidents", id=serializers.IntegerField(), number=serializers.CharField(),
                     short_description=serializers.CharField(), state=serializers.CharField(),
                     state_label=serializers.CharField(), priority=serializers.CharField(),
                     incidents=serializers.IntegerField()),
    }))
    def get(self, request):
        return Response({"distribution": reports.incidents_per_problem(), "top": reports.top_problems()})


class KnownErrorsReportView(ReportView):
    """Known errors by the age of their publication, and the stale ones (no fix after
    KNOWN_ERROR_STALE_DAYS)."""

    @extend_schema(responses=inline_serializer("KnownErrorsReport", fields={
        "by_age": _rows("KnownErrorAgeRow", band=serializers.CharField(), label=serializers.CharField(),
                        count=serializers.IntegerField(), stale=serializers.IntegerField()),
        "stale": _rows("StaleKnownError", id=serializers.IntegerField(), number=serializers.CharField(),
                       short_description=serializers.CharField(), state_label=serializers.CharField(),
                       known_error_at=serializers.DateTimeField(), age_days=serializers.IntegerField(),
                       service=serializers.CharField()),
    }))
    def get(self, request):
        return Response({"by_age": reports.known_errors_by_age(), "stale": reports.stale_known_errors()})


class RecurringReportView(ReportView):
    """Groups of recent incidents linked to no problem, as trend detection groups them now."""

    @extend_schema(responses=inline_serializer("RecurringIncidentsReport", fields={
        "window_days": serializers.IntegerField(), "threshold": serializers.IntegerField(),
        "groups": _rows("RecurringGroup", key=serializers.CharField(), basis=serializers.CharField(),
                        basis_label=serializers.CharField(), title=serializers.CharField(),
                        incidents=serializers.IntegerField(),
                        first_opened_at=serializers.DateTimeField(allow_null=True),
                        last_opened_at=serializers.DateTimeField(allow_null=True),
                        proposal=serializers.CharField(), proposal_label=serializers.CharField()),
    }))
    def get(self, request):
        return Response(reports.recurring_unlinked())


urlpatterns = [
    path("reports/open/", OpenProblemsReportView.as_view(), name="report-open"),
    path("reports/times/", TimesReportView.as_view(), name="report-times"),
    path("reports/incidents-per-problem/", IncidentsPerProblemReportView.as_view(),
         name="report-incidents-per-problem"),
    path("reports/known-errors/", KnownErrorsReportView.as_view(), name="report-known-errors"),
    path("reports/recurring/", RecurringReportView.as_view(), name="report-recurring"),
]
