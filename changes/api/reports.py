"""Change reports as JSON (/api/v1/changes/reports/...): the numbers of the report page.

Staff read (auditors and read-only tokens included); nobody writes. Every report takes
`?start=YYYY-MM-DD&end=YYYY-MM-DD` (default: the current week and the eleven before it),
`service` (a service CI's id), `group` (an assignment group's id) and, for the trends,
`interval` (week or month; by default weeks up to 26 weeks, months beyond).
"""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.permissions import STAFF_ROLES

from .. import reports

SCOPE_PARAMETERS = [
    OpenApiParameter("start", str, description="First day of the period (YYYY-MM-DD)."),
    OpenApiParameter("end", str, description="Last day of the period, inclusive (YYYY-MM-DD)."),
    OpenApiParameter("service", int, description="Only changes affecting or impacting this service (CI id)."),
    OpenApiParameter("group", int, description="Only changes of this assignment group (team id)."),
    OpenApiParameter("interval", str, enum=[reports.WEEK, reports.MONTH], description="The trends' step."),
]
INT, FLOAT = serializers.IntegerField, serializers.FloatField


def _scope(request) -> reports.Scope:
    form = reports.ReportForm(request.query_params)
    if not form.is_valid():
        raise ValidationError({name if name != "__all__" else "non_field_errors": [str(e) for e in errors]
                               for name, errors in form.errors.items()})
    return form.cleaned_data["scope"]


def _rows(serializer_name: str, **fields):
    return inline_serializer(serializer_name, fields=fields, many=True)


def _response(name: str, **fields):
    """The schema of a report: its scope, then its own fields."""
    return inline_serializer(name, fields={
        "start": serializers.DateField(), "end": serializers.DateField(),
        "service": INT(allow_null=True), "group": INT(allow_null=True), "interval": serializers.CharField(),
        **fields})


def _model_row(serializer_name: str, **fields):
    return _rows(serializer_name, model=serializers.CharField(help_text="A change model, or 'total'."),
                 label=serializers.CharField(), **fields)


class ReportView(APIView):
    read_roles = STAFF_ROLES
    write_roles = ()
    section = ""

    def get(self, request):
        scope = _scope(request)
        data = reports.SECTIONS[self.section](scope)
        return Response({**scope.as_dict(), **(data if isinstance(data, dict) else {"rows": data})})


@extend_schema(parameters=SCOPE_PARAMETERS, responses=_response("ChangeSuccessReport", **{
    "summary": inline_serializer("ChangeSuccessSummary", fields={
        "implemented": INT(), "successful": INT(), "cancelled": INT(), "rate": FLOAT(allow_null=True)}),
    "by_code": _rows("ChangeCloseCodeRow", code=serializers.CharField(), label=serializers.CharField(), count=INT()),
    "trend": _rows("ChangeSuccessTrendRow", bucket=serializers.CharField(), implemented=INT(), successful=INT(),
                   rate=FLOAT(allow_null=True)),
}))
class SuccessReportView(ReportView):
    """Changes closed in the period by close code; success rate of the implemented ones, per week or month."""

    section = "success"


@extend_schema(parameters=SCOPE_PARAMETERS, responses=_response("ChangeEmergencyReport", **{
    "summary": inline_serializer("ChangeEmergencySummary", fields={
        "raised": INT(), "emergency": INT(), "share": FLOAT(allow_null=True)}),
    "trend": _rows("ChangeEmergencyTrendRow", bucket=serializers.CharField(), raised=INT(), emergency=INT(),
                   share=FLOAT(allow_null=True)),
}))
class EmergencyReportView(ReportView):
    """Emergency changes over every change raised in the period, per week or month."""

    section = "emergency"


@extend_schema(parameters=SCOPE_PARAMETERS, responses=_response("ChangeModelRiskReport", rows=_model_row(
    "ChangeModelRiskRow", total=INT(), **{key: INT() for key in reports.RISK_KEYS})))
class ModelRiskReportView(ReportView):
    """Changes raised in the period by change model and risk level (then the totals)."""

    section = "model_risk"


@extend_schema(parameters=SCOPE_PARAMETERS, responses=_response("ChangeLeadTimeReport", rows=_model_row(
    "ChangeLeadTimeRow", approved=INT(), median_hours=FLOAT(allow_null=True), p90_hours=FLOAT(allow_null=True),
    rejected=INT())))
class LeadTimeReportView(ReportView):
    """Authorisation requests decided in the period: hours to approval (median, 90th percentile)
    per change model, and the rejected ones."""

    section = "lead_time"


@extend_schema(parameters=SCOPE_PARAMETERS, responses=_response("ChangeIncidentsReport", **{
    "by_model": _model_row("ChangeIncidentsRow", implemented=INT(), causing=INT(), incidents=INT(),
                           share=FLOAT(allow_null=True)),
    "top_changes": _rows("ChangeCausingIncidents", id=INT(), number=serializers.CharField(),
                         short_description=serializers.CharField(), model=serializers.CharField(),
                         model_label=serializers.CharField(), close_code=serializers.CharField(),
                         close_code_label=serializers.CharField(),
                         actual_start=serializers.DateTimeField(allow_null=True), incidents=INT()),
}))
class IncidentsReportView(ReportView):
    """Changes implemented in the period, those that caused incidents, and the changes with the most."""

    section = "incidents"


@extend_schema(parameters=SCOPE_PARAMETERS, responses=_response("ChangeUnauthorisedReport", **{
    "total": INT(),
    "by_state": _rows("UnauthorisedStateRow", state=serializers.CharField(), label=serializers.CharField(),
                      count=INT()),
    "top_cis": _rows("UnauthorisedCIRow", id=INT(), number=serializers.CharField(), name=serializers.CharField(),
                     count=INT(), open=INT()),
}))
class UnauthorisedReportView(ReportView):
    """Unauthorised CI changes detected in the period by state, and the CIs with the most."""

    section = "unauthorised"


@extend_schema(parameters=SCOPE_PARAMETERS, responses=_response("ChangeOverridesReport", **{
    "total": INT(),
    "by_kind": _rows("ConflictOverrideKindRow", kind=serializers.CharField(), label=serializers.CharField(),
                     count=INT()),
    "rows": _rows("ConflictOverrideRow", id=INT(), overridden_at=serializers.DateTimeField(), change_id=INT(),
                  change=serializers.CharField(), short_description=serializers.CharField(),
                  kind=serializers.CharField(), kind_label=serializers.CharField(), cause=serializers.CharField(),
                  other_change=serializers.CharField(), reason=serializers.CharField(),
                  overridden_by=serializers.CharField()),
}))
class OverridesReportView(ReportView):
    """Conflicts overridden in the period by kind, and the latest 200 with their change and reason."""

    section = "overrides"


urlpatterns = [
    path("reports/success/", SuccessReportView.as_view(), name="report-success"),
    path("reports/emergency/", EmergencyReportView.as_view(), name="report-emergency"),
    path("reports/model-risk/", ModelRiskReportView.as_view(), name="report-model-risk"),
    path("reports/approval-lead-time/", LeadTimeReportView.as_view(), name="report-approval-lead-time"),
    path("reports/incidents-caused/", IncidentsReportView.as_view(), name="report-incidents-caused"),
    path("reports/unauthorised/", UnauthorisedReportView.as_view(), name="report-unauthorised"),
    path("reports/overrides/", OverridesReportView.as_view(), name="report-overrides"),
]


def register(router) -> None:
    """No viewsets: the reports are plain views (urlpatterns above)."""
