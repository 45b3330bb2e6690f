"""The incident report page (/incidents/reports/): backlog, time to resolve, rates; CSV per table.

Staff read it (auditors included); requesters get 403. The numbers come from incidents.reports,
the same functions the API serves.
"""

from operator import itemgetter

from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from itsm.exports import Column, csv_response
from itsm.permissions import STAFF_ROLES
from itsm.views.mixins import RoleRequiredMixin

from .. import reports


def _columns(*pairs) -> list[Column]:
    return [Column(header, itemgetter(key)) for header, key in pairs]


# ?export=<name>: (file name stem, rows(period), columns)
EXPORTS = {
    "backlog_priority": ("incident-backlog-by-priority", lambda period: reports.backlog_by_priority(),
                         lambda: _columns((_("Priority"), "label"), (_("Name"), "name"), (_("Open"), "count"))),
    "backlog_group": ("incident-backlog-by-group", lambda period: reports.backlog_by_group(),
                      lambda: _columns((_("Assignment group"), "name"), (_("Open"), "count"))),
    "backlog_age": ("incident-backlog-by-age", lambda period: reports.backlog_by_age(),
                    lambda: _columns((_("Age"), "label"), (_("Open"), "count"))),
    "resolution": ("incident-time-to-resolve", reports.resolution_times,
                   lambda: _columns((_("Month"), "month"), (_("Priority"), "label"), (_("Resolved"), "count"),
                                    (_("Mean hours"), "mean_hours"), (_("P90 hours"), "p90_hours"))),
    "rates": ("incident-rates", lambda period: [reports.rates(period)],
              lambda: _columns((_("Resolved"), "resolved"), (_("Reassigned"), "reassigned"),
                               (_("Reassignment rate %"), "reassignment_rate"), (_("Reopened"), "reopened"),
                               (_("Reopen rate %"), "reopen_rate"))),
}


class IncidentReportsView(RoleRequiredMixin, TemplateView):
    template_name = "incidents/reports/reports.html"
    read_roles = STAFF_ROLES

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export", "")
        if export in EXPORTS:
            stem, rows, columns = EXPORTS[export]
            _form, period = reports.period_from(request.GET)
            filename = f"{stem}-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}.csv"
            return csv_response(rows(period), columns(), filename)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        form, period = reports.period_from(self.request.GET)
        data = reports.report(period)
        data.pop("period")
        chart = {
            "priority": {"labels": [r["label"] for r in data["backlog_by_priority"]],
                         "values": [r["count"] for r in data["backlog_by_priority"]]},
            "age": {"labels": [r["label"] for r in data["backlog_by_age"]],
                    "values": [r["count"] for r in data["backlog_by_age"]]},
            "resolution": resolution_series(data["resolution_times"]),
            "text": {"open": _("Open incidents"), "mean": _("Mean hours to resolve")},
        }
        query = self.request.GET.copy()
        query.pop("export", None)
        kwargs.update(form=form, period=period, chart=chart, query=query.urlencode(), **data)
        return super().get_context_data(**kwargs)


def resolution_series(rows: list[dict]) -> dict:
    """Mean hours per month, one line per priority (gaps where a month had none)."""
    months = sorted({r["month"] for r in rows})
    series = {}
    for row in rows:
        series.setdefault(row["label"], {})[row["month"]] = row["mean_hours"]
    return {"months": months,
            "series": [{"name": label, "values": [values.get(m) for m in months]}
                       for label, values in sorted(series.items())]}


urlpatterns = [
    path("", IncidentReportsView.as_view(), name="incident_reports"),
]
