"""The problem report page (/problems/reports/): open problems by age and priority, time to root
cause and to resolution, incidents per problem, known errors by age, recurring incidents not yet
linked. `?export=<table>` gives one table as CSV, `?export=xlsx` every table in one workbook.

Staff read it (auditors included); requesters get 403. The numbers come from problems.reports,
the same functions the API serves.
"""

import io
from operator import itemgetter

from django.conf import settings
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from itsm.audit_sources import AuditFact, record_audit
from itsm.exports import Column, csv_response, neutralise
from itsm.permissions import STAFF_ROLES
from itsm.views.mixins import RoleRequiredMixin

from .. import reports

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")


def _columns(*pairs) -> list[Column]:
    return [Column(header, itemgetter(key)) for header, key in pairs]


def _open_age_columns():
    return _columns((_("Age"), "label"), *((p, p) for p in PRIORITIES), (_("Open"), "total"))


# ?export=<name>: (file name stem, rows(period), columns())
EXPORTS = {
    "open_age": ("problems-open-by-age", lambda period: reports.open_by_age_and_priority(), _open_age_columns),
    "open_state": ("problems-open-by-state", lambda period: reports.open_by_state(),
                   lambda: _columns((_("State"), "label"), (_("Open"), "count"))),
    "times": ("problems-mean-times", reports.mean_times,
              lambda: _columns((_("Month"), "month"), (_("Root causes found"), "root_cause_count"),
                               (_("Mean days to root cause"), "root_cause_mean_days"),
                               (_("Resolved"), "resolution_count"),
                               (_("Mean days to resolution"), "resolution_mean_days"))),
    "incidents_per_problem": ("problems-incidents-per-problem", lambda period: reports.incidents_per_problem(),
                              lambda: _columns((_("Linked incidents"), "label"), (_("Problems"), "count"))),
    "top_problems": ("problems-most-incidents", lambda period: reports.top_problems(),
                     lambda: _columns((_("Number"), "number"), (_("Short description"), "short_description"),
                                      (_("State"), "state_label"), (_("Priority"), "priority"),
                                      (_("Linked incidents"), "incidents"))),
    "known_errors": ("known-errors-by-age", lambda period: reports.known_errors_by_age(),
                     lambda: _columns((_("Age"), "label"), (_("Known errors"), "count"), (_("Stale"), "stale"))),
    "stale": ("known-errors-stale", lambda period: reports.stale_known_errors(),
              lambda: _columns((_("Number"), "number"), (_("Short description"), "short_description"),
                               (_("State"), "state_label"), (_("Known error since"), "known_error_at"),
                               (_("Age (days)"), "age_days"), (_("Service"), "service"))),
    "recurring": ("incidents-recurring-unlinked", lambda period: reports.recurring_unlinked()["groups"],
                  lambda: _columns((_("Grouped by"), "basis_label"), (_("Group"), "title"),
                                   (_("Incidents"), "incidents"), (_("First opened"), "first_opened_at"),
                                   (_("Last opened"), "last_opened_at"), (_("Proposal"), "proposal_label"))),
}


def _cell(value):
    if value is None:
        return None
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return timezone.localtime(value).replace(tzinfo=None)  # spreadsheets know no time zones
    if isinstance(value, str):
        return neutralise(value)
    return value


def xlsx_response(period: reports.Period) -> HttpResponse:
    """One workbook, a sheet per table of the page; put on the audit trail as an export."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, (_stem, rows, columns) in EXPORTS.items():
        sheet = book.create_sheet(title=name[:31])
        cols = columns()
        sheet.append([str(column.header) for column in cols])
        for row in rows(period):
            sheet.append([_cell(column.read(row)) for column in cols])
    buffer = io.BytesIO()
    book.save(buffer)
    filename = f"problem-reports-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.xlsx"
    record_audit(AuditFact("export_made", label=filename))
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ProblemReportsView(RoleRequiredMixin, TemplateView):
    template_name = "problems/reports/reports.html"
    read_roles = STAFF_ROLES

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export", "")
        if export == "xlsx":
            return xlsx_response(reports.period_from(request.GET)[1])
        if export in EXPORTS:
            stem, rows, columns = EXPORTS[export]
            _form, period = reports.period_from(request.GET)
            return csv_response(rows(period), columns(), f"{stem}-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        form, period = reports.period_from(self.request.GET)
        data = reports.report(period)
        data.pop("period")
        query = self.request.GET.copy()
        query.pop("export", None)
        kwargs.update(form=form, period=period, chart=chart_data(data), query=query.urlencode(),
                      priorities=PRIORITIES, stale_days=settings.KNOWN_ERROR_STALE_DAYS, **data)
        return super().get_context_data(**kwargs)


def chart_data(data: dict) -> dict:
    """What the charts draw (static/js/problem-reports.js); the tables carry the same numbers."""
    by_age, times = data["open_by_age"], data["mean_times"]
    return {
        "age": {"labels": [row["label"] for row in by_age],
                "series": [{"name": p, "values": [row[p] for row in by_age]} for p in PRIORITIES]},
        "times": {"months": [row["month"] for row in times],
                  "series": [{"name": _("Mean days to root cause"),
                              "values": [row["root_cause_mean_days"] for row in times]},
                             {"name": _("Mean days to resolution"),
                              "values": [row["resolution_mean_days"] for row in times]}]},
        "incidents": {"labels": [row["label"] for row in data["incidents_per_problem"]],
                      "values": [row["count"] for row in data["incidents_per_problem"]]},
        "known_errors": {"labels": [row["label"] for row in data["known_errors_by_age"]],
                         "series": [{"name": _("Known errors"),
                                     "values": [row["count"] - row["stale"] for row in data["known_errors_by_age"]]},
                                    {"name": _("Stale"), "values": [row["stale"] for row in data["known_errors_by_age"]]}]},
        "text": {"problems": _("Problems"), "days": _("Days")},
    }


urlpatterns = [
    path("reports/", ProblemReportsView.as_view(), name="problem_reports"),
]
