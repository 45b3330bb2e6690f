"""The change report page (/changes/reports/): success rate, emergency share, changes by model
and risk, approval lead time, incidents caused by changes, unauthorised changes, conflicts
overridden. `?export=<table>` gives one table as CSV, `?export=xlsx` every table in one workbook;
both keep the page's filters (period, service, assignment group, trend step).

Staff read it (auditors included); requesters get 403. The numbers come from changes.reports,
the same functions the API serves.
"""

import io
from operator import itemgetter

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from itsm.audit_sources import AuditFact, record_audit
from itsm.exports import Column, csv_response, neutralise
from itsm.permissions import STAFF_ROLES
from itsm.views.mixins import RoleRequiredMixin

from .. import reports

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _columns(*pairs) -> list[Column]:
    return [Column(header, itemgetter(key)) for header, key in pairs]


def _model_risk_columns():
    labels = reports.risk_labels()
    return _columns((_("Change model"), "label"), *((labels[key], key) for key in reports.RISK_KEYS),
                    (_("Changes"), "total"))


# ?export=<name>: (file name stem, section of reports.SECTIONS or EXPORT_ONLY, its rows, columns())
EXPORTS = {
    "success_codes": ("changes-by-close-code", "success", itemgetter("by_code"),
                      lambda: _columns((_("Close code"), "label"), (_("Changes"), "count"))),
    "success_trend": ("changes-success-rate", "success", itemgetter("trend"),
                      lambda: _columns((_("From"), "bucket"), (_("Implemented"), "implemented"),
                                       (_("Successful"), "successful"), (_("Success rate (%)"), "rate"))),
    "emergency": ("changes-emergency-share", "emergency", itemgetter("trend"),
                  lambda: _columns((_("From"), "bucket"), (_("Raised"), "raised"), (_("Emergency"), "emergency"),
                                   (_("Emergency share (%)"), "share"))),
    "model_risk": ("changes-by-model-and-risk", "model_risk", lambda rows: rows, _model_risk_columns),
    "lead_time": ("changes-approval-lead-time", "lead_time", lambda rows: rows,
                  lambda: _columns((_("Change model"), "label"), (_("Approved"), "approved"),
                                   (_("Median (hours)"), "median_hours"),
                                   (_("90th percentile (hours)"), "p90_hours"), (_("Rejected"), "rejected"))),
    "incidents_by_model": ("changes-incidents-caused", "incidents", itemgetter("by_model"),
                           lambda: _columns((_("Change model"), "label"), (_("Implemented"), "implemented"),
                                            (_("Caused incidents"), "causing"), (_("Share (%)"), "share"),
                                            (_("Incidents"), "incidents"))),
    "incidents_by_change": ("changes-causing-most-incidents", "incidents", itemgetter("top_changes"),
                            lambda: _columns((_("Number"), "number"), (_("Short description"), "short_description"),
                                             (_("Change model"), "model_label"), (_("Close code"), "close_code_label"),
                                             (_("Started"), "actual_start"), (_("Incidents"), "incidents"))),
    "unauthorised_states": ("unauthorised-changes-by-state", "unauthorised", itemgetter("by_state"),
                            lambda: _columns((_("State"), "label"), (_("Unauthorised changes"), "count"))),
    "unauthorised_cis": ("unauthorised-changes-by-ci", "unauthorised", itemgetter("top_cis"),
                         lambda: _columns((_("Number"), "number"), (_("CI"), "name"),
                                          (_("Unauthorised changes"), "count"), (_("Open"), "open"))),
    "override_kinds": ("change-conflicts-overridden-by-kind", "overrides", itemgetter("by_kind"),
                       lambda: _columns((_("Conflict"), "label"), (_("Overridden"), "count"))),
    "overrides": ("change-conflicts-overridden", "override_rows", lambda rows: rows,
                  lambda: _columns((_("Overridden"), "overridden_at"), (_("Change"), "change"),
                                   (_("Short description"), "short_description"), (_("Conflict"), "kind_label"),
                                   (_("Cause"), "cause"), (_("Other change"), "other_change"),
                                   (_("Reason"), "reason"), (_("Overridden by"), "overridden_by"))),
}


def _stem_dates(scope: reports.Scope) -> str:
    return f"{scope.start:%Y-%m-%d}-{scope.end:%Y-%m-%d}"


def _cell(value):
    if value is None:
        return None
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return timezone.localtime(value).replace(tzinfo=None)  # spreadsheets know no time zones
    if isinstance(value, str):
        return neutralise(value)
    return value


def _section(name: str, scope: reports.Scope, data: dict | None = None):
    if data is not None and name in data:
        return data[name]
    return {**reports.SECTIONS, **reports.EXPORT_ONLY}[name](scope)


def csv_export(name: str, scope: reports.Scope):
    stem, section, rows, columns = EXPORTS[name]
    return csv_response(rows(_section(section, scope)), columns(), f"{stem}-{_stem_dates(scope)}.csv")


def xlsx_response(scope: reports.Scope) -> HttpResponse:
    """One workbook, a sheet per table of the page; put on the audit trail as an export."""
    from openpyxl import Workbook

    data = reports.report(scope)
    book = Workbook()
    book.remove(book.active)
    for name, (_stem, section, rows, columns) in EXPORTS.items():
        sheet = book.create_sheet(title=name[:31])
        cols = columns()
        sheet.append([str(column.header) for column in cols])
        for row in rows(_section(section, scope, data)):
            sheet.append([_cell(column.read(row)) for column in cols])
    buffer = io.BytesIO()
    book.save(buffer)
    filename = f"change-reports-{_stem_dates(scope)}.xlsx"
    record_audit(AuditFact("export_made", label=filename))
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ChangeReportsView(RoleRequiredMixin, TemplateView):
    template_name = "changes/reports/reports.html"
    read_roles = STAFF_ROLES

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export", "")
        if export == "xlsx":
            return xlsx_response(reports.scope_from(request.GET)[1])
        if export in EXPORTS:
            return csv_export(export, reports.scope_from(request.GET)[1])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        form, scope = reports.scope_from(self.request.GET)
        data = reports.report(scope)
        query = self.request.GET.copy()
        query.pop("export", None)
        kwargs.update(form=form, scope=scope, chart=chart_data(data), query=query.urlencode(),
                      risk_keys=reports.RISK_KEYS, risk_labels=reports.risk_labels(), **data)
        return super().get_context_data(**kwargs)


def _series(name, rows, key) -> dict:
    return {"name": str(name), "values": [row[key] for row in rows]}


def chart_data(data: dict) -> dict:
    """What the charts draw (static/js/change-reports.js); the tables carry the same numbers.
    The totals rows of the tables are left out of the charts."""
    success, urgent = data["success"]["trend"], data["emergency"]["trend"]
    models = [row for row in data["model_risk"] if row["model"] != reports.TOTAL]
    lead = [row for row in data["lead_time"] if row["model"] != reports.TOTAL]
    caused = [row for row in data["incidents"]["by_model"] if row["model"] != reports.TOTAL]
    labels = reports.risk_labels()
    return {
        "success": {"labels": [row["bucket"] for row in success],
                    "bars": [_series(_("Implemented"), success, "implemented"),
                             _series(_("Successful"), success, "successful")],
                    "line": _series(_("Success rate (%)"), success, "rate")},
        "emergency": {"labels": [row["bucket"] for row in urgent],
                      "bars": [_series(_("Raised"), urgent, "raised"), _series(_("Emergency"), urgent, "emergency")],
                      "line": _series(_("Emergency share (%)"), urgent, "share")},
        "model_risk": {"labels": [row["label"] for row in models],
                       "series": [{**_series(labels[key], models, key), "colour": reports.RISK_COLOURS[key]}
                                  for key in reports.RISK_KEYS]},
        "lead_time": {"labels": [row["label"] for row in lead],
                      "series": [_series(_("Median (hours)"), lead, "median_hours"),
                                 _series(_("90th percentile (hours)"), lead, "p90_hours")]},
        "incidents": {"labels": [row["label"] for row in caused],
                      "series": [_series(_("Implemented"), caused, "implemented"),
                                 _series(_("Caused incidents"), caused, "causing")]},
        "unauthorised": {"labels": [row["label"] for row in data["unauthorised"]["by_state"]],
                         "series": [_series(_("Unauthorised changes"), data["unauthorised"]["by_state"], "count")]},
        "overrides": {"labels": [row["label"] for row in data["overrides"]["by_kind"]],
                      "series": [_series(_("Conflicts overridden"), data["overrides"]["by_kind"], "count")]},
        "text": {"changes": _("Changes"), "percent": "%", "hours": _("Hours")},
    }


def register_menu() -> None:
    """"Change reports" in the Changes menu, for staff (call from ChangesConfig.ready())."""
    from itsm.navigation import CHANGES, MenuItem
    from itsm.navigation import register as register_item

    register_item(MenuItem(gettext_lazy("Change reports"), "change_reports", icon="chart-bar", order=96,
                           roles=STAFF_ROLES, group=CHANGES))


urlpatterns = [
    path("reports/", ChangeReportsView.as_view(), name="change_reports"),
]
