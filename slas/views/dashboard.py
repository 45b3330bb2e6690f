"""The managers' SLA dashboard (/slas/) and the monthly service-level report (/slas/report/).

Staff read both (auditors included); requesters get 403. The numbers come from slas.reports,
the same functions the API serves. `?export=<table>` gives one table as CSV, `?export=xlsx`
every table in one workbook. Generating a monthly report is put on record (a domain event).
"""

import io
from datetime import timedelta
from operator import itemgetter

from django.http import Http404, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from itsm.exports import Column, csv_response, neutralise
from itsm.pagination import CappedPaginator
from itsm.permissions import STAFF_ROLES
from itsm.views.mixins import RoleRequiredMixin

from .. import reports, selectors, services
from ..filtersets import report_filters_from

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _columns(*pairs) -> list[Column]:
    return [Column(header, itemgetter(key)) for header, key in pairs]


def attainment_columns(group_header):
    return lambda: _columns((group_header(), "label"), (_("Met"), "met"), (_("Breached"), "breached"),
                            (_("Attainment %"), "attainment"))


# ?export=<name>: (sheet / file stem, rows(filters), columns)
EXPORTS = {
    **{f"by_{group}": (f"sla-attainment-by-{group}", (lambda g: lambda f: reports.attainment(f, g))(group),
                       attainment_columns(header))
       for group, header in (("service", lambda: _("Service")), ("customer", lambda: _("Customer")),
                             ("priority", lambda: _("Priority")), ("team", lambda: _("Team")),
                             ("month", lambda: _("Month")))},
    "trend": ("sla-weekly-trend", reports.weekly_trend,
              lambda: _columns((_("Week of"), "week"), (_("Met"), "met"), (_("Breached"), "breached"),
                               (_("Attainment %"), "attainment"))),
    "durations": ("sla-times", reports.durations,
                  lambda: _columns((_("Metric"), "label"), (_("Stopped timers"), "count"),
                                   (_("Mean business hours"), "mean_hours"), (_("P90 business hours"), "p90_hours"))),
    "breaches": ("sla-breaches", lambda f: reports.breaches(f, limit=None),
                 lambda: _columns((_("Record"), "record"), (_("Metric"), "metric_label"), (_("Cycle"), "cycle"),
                                  (_("Target"), "target"), (_("Goal hours"), "goal_hours"), (_("Due"), "due_at"),
                                  (_("Breached"), "breached_at"), (_("Stopped"), "stopped_at"),
                                  (_("Paused for"), "paused_for"), (_("Service"), "service"),
                                  (_("Customer"), "customer"), (_("Team"), "team"), (_("Priority"), "priority"))),
    "at_risk": ("sla-at-risk", lambda f: reports.at_risk(f),
                lambda: _columns((_("Record"), "record"), (_("Metric"), "metric_label"), (_("Target"), "target"),
                                 (_("Due"), "due_at"), (_("Goal used %"), "percent"), (_("Customer"), "customer"),
                                 (_("Team"), "team"), (_("Priority"), "priority"))),
    "ola_by_team": ("ola-attainment-by-group", lambda f: reports.attainment(reports.operational(f), "team"),
                    attainment_columns(lambda: _("Assignment group"))),
    "ola_breaches": ("ola-breaches", lambda f: reports.breaches(reports.operational(f), limit=None),
                     lambda: _columns((_("Record"), "record"), (_("Assignment group"), "group"),
                                      (_("Metric"), "metric_label"), (_("Cycle"), "cycle"), (_("Target"), "target"),
                                      (_("Goal hours"), "goal_hours"), (_("Due"), "due_at"),
                                      (_("Breached"), "breached_at"), (_("Stopped"), "stopped_at"))),
}


def _cell(value):
    if value is None:
        return None
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, str):
        return neutralise(value)
    return value


def xlsx_response(filters: reports.Filters) -> HttpResponse:
    """One workbook, a sheet per table of the dashboard."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, (_stem, rows, columns) in EXPORTS.items():
        sheet = book.create_sheet(title=name[:31])
        cols = columns()
        sheet.append([str(c.header) for c in cols])
        for row in rows(filters):
            sheet.append([_cell(c.read(row)) for c in cols])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="sla-dashboard-{filters.start:%Y-%m-%d}-{filters.end:%Y-%m-%d}.xlsx"')
    return response


def every_week(trend: list[dict], filters: reports.Filters | None) -> list[dict]:
    """The trend with a row for each week of the period, the quiet ones too (no attainment, no
    breach), so that the chart's axis runs evenly through the whole period."""
    if filters is None:
        return trend
    known = {row["week"]: row for row in trend}
    week = filters.start - timedelta(days=filters.start.weekday())
    rows = []
    while week <= filters.end:
        rows.append(known.pop(week.isoformat(), {"week": week.isoformat(), "attainment": None, "breached": 0}))
        week += timedelta(weeks=1)
    return sorted(rows + list(known.values()), key=lambda row: row["week"])


def chart_data(data: dict, filters: reports.Filters | None = None) -> dict:
    trend = every_week(data["trend"], filters)
    return {
        "trend": {"weeks": [r["week"] for r in trend], "attainment": [r["attainment"] for r in trend],
                  "breached": [r["breached"] for r in trend]},
        "services": {"labels": [str(r["label"]) for r in data["by_service"]],
                     "attainment": [r["attainment"] for r in data["by_service"]]},
        "text": {"attainment": _("Attainment %"), "breached": _("Breaches"), "week": _("Week of"),
                 "service": _("Service")},
    }


class DashboardView(RoleRequiredMixin, TemplateView):
    template_name = "slas/dashboard/dashboard.html"
    read_roles = STAFF_ROLES

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export", "")
        if export == "xlsx":
            return xlsx_response(report_filters_from(request.GET)[1])
        if export in EXPORTS:
            stem, rows, columns = EXPORTS[export]
            filters = report_filters_from(request.GET)[1]
            return csv_response(rows(filters), columns(), f"{stem}-{filters.start:%Y-%m-%d}-{filters.end:%Y-%m-%d}.csv")
        return super().get(request, *args, **kwargs)

    breaches_per_page = 25

    def get_context_data(self, **kwargs):
        form, filters = report_filters_from(self.request.GET)
        data = reports.dashboard(filters)
        query = self.request.GET.copy()
        query.pop("export", None)
        query.pop("page", None)
        # The breaches page by page (?page=), a constant number of queries whatever the page.
        paginator = CappedPaginator(reports.breach_queryset(filters), self.breaches_per_page)
        page = paginator.get_page(self.request.GET.get("page"))
        kwargs.update(form=form, filters=filters, chart=chart_data(data, filters), query=query.urlencode(),
                      at_risk_hours=reports.AT_RISK_HOURS, breaches=reports.breach_rows(list(page.object_list)),
                      paginator=paginator, page_obj=page,
                      groups=[("by_service", _("By service")), ("by_customer", _("By customer")),
                              ("by_priority", _("By priority")), ("by_team", _("By team")),
                              ("by_month", _("By month"))], **data)
        return super().get_context_data(**kwargs)


class MonthlyReportView(RoleRequiredMixin, TemplateView):
    """?agreement=<id>&month=YYYY-MM: the printable report; without them, the choice."""

    template_name = "slas/dashboard/report.html"
    read_roles = STAFF_ROLES

    def get_context_data(self, **kwargs):
        agreement_id = self.request.GET.get("agreement", "")
        month = self.request.GET.get("month", "") or timezone.localdate().strftime("%Y-%m")
        user = self.request.user
        kwargs.update(agreements=selectors.agreement_list(user).order_by("name"), month=month, report=None)
        if agreement_id:
            agreement = selectors.agreement_get_for_user(user, agreement_id)
            try:
                reports.month_bounds(month)
            except ValueError:
                raise Http404 from None
            kwargs["report"] = reports.monthly_report(agreement, month)
            kwargs["generated_by"], kwargs["generated_at"] = self.request.user, timezone.now()
            services.report_generated(actor=self.request.user, agreement=agreement, month=month)
        return super().get_context_data(**kwargs)


urlpatterns = [
    path("", DashboardView.as_view(), name="sla_dashboard"),
    path("report/", MonthlyReportView.as_view(), name="sla_report"),
]
