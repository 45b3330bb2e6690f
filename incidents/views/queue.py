"""The queues (/incidents/): tabs, filters, the rows (an autoescaped Jinja2 fragment), bulk
actions and saved filters."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from config_items import selectors as cmdb_selectors
from itsm.exports import Column
from itsm.forms import offer_rows, people_rows
from itsm.fragments import render_fragment
from itsm.views.lists import FilteredListView, clean_query
from slas import explain as sla_explain

from .. import selectors, services
from ..choices import IncidentState, Priority
from ..filtersets import IncidentFilterSet
from ..forms import (
    BulkForm,
    SavedFilterForm,
    workers,
)
from ..models import Incident, SavedFilter
from ..panels import bulk_actions_for
from .common import IncidentMixin

QUEUE_TABS = (
    ("mine", gettext_lazy("My work")),
    ("unassigned", gettext_lazy("My teams' unassigned")),
    ("triage", gettext_lazy("Triage (no group)")),
    ("open", gettext_lazy("All open")),
    ("major", gettext_lazy("Major")),
    ("resolved", gettext_lazy("Recently resolved")),
    ("", gettext_lazy("All incidents")),
)


class IncidentListView(IncidentMixin, FilteredListView):
    template_name = "incidents/incident_list.html"
    results_template_name = "incidents/_incident_results.html"
    filterset_class = IncidentFilterSet
    filter_fields = ("q", "state", "priority", "assignment_group", "assignee", "service", "category")
    sort_fields = {"number": "number", "priority": "priority", "state": "state", "opened": "opened_at",
                   "updated": "updated_at", "group": "assignment_group__name", "assignee": "assignee__username",
                   "short_description": "short_description", "breach": "sla_due_at"}
    default_sort = "priority"
    paginate_by = 50  # a service desk works from long queues
    export_name = "incidents"
    export_columns = [
        Column(gettext_lazy("Number"), "number"),
        Column(gettext_lazy("Short description"), "short_description"),
        Column(gettext_lazy("State"), lambda i: i.get_state_display()),
        Column(gettext_lazy("Priority"), lambda i: i.get_priority_display()),
        Column(gettext_lazy("Impact"), lambda i: i.get_impact_display()),
        Column(gettext_lazy("Urgency"), lambda i: i.get_urgency_display()),
        Column(gettext_lazy("Major incident"), "is_major"),
        Column(gettext_lazy("Caller"), "caller_display"),
        Column(gettext_lazy("Customer"), "customer.name"),
        Column(gettext_lazy("Service"), "service.name"),
        Column(gettext_lazy("Category"), "category.name"),
        Column(gettext_lazy("Subcategory"), "subcategory.name"),
        Column(gettext_lazy("Assignment group"), "assignment_group.name"),
        Column(gettext_lazy("Assignee"), "assignee.username"),
        Column(gettext_lazy("Channel"), lambda i: i.get_channel_display()),
        Column(gettext_lazy("Opened"), "opened_at"),
        Column(gettext_lazy("Resolved"), "resolved_at"),
        Column(gettext_lazy("Closed"), "closed_at"),
        Column(gettext_lazy("Resolution code"), lambda i: i.get_resolution_code_display()),
        Column(gettext_lazy("Updated"), "updated_at"),
    ]

    def get_base_queryset(self):
        return selectors.incident_list(self.request.user)

    @cached_property
    def filter_data(self):
        """The query; a bare /incidents/ opens the person's standing queue."""
        query = self.request.GET
        if set(query) - {"page", "export", "sort"}:
            return query
        query = query.copy()
        query["queue"] = "mine" if self.may_write(self.request.user) else "open"
        return query

    def get_queryset(self):
        self.filterset = self.filterset_class(self.filter_data, queryset=self.get_base_queryset(),
                                              request=self.request)
        queryset = self.filterset.qs if self.filterset.is_valid() else self.filterset.queryset.none()
        if self.current_sort().lstrip("-") == "breach":
            queryset = selectors.with_time_to_breach(queryset)
        if self.request.GET.get("export") == "csv":
            queryset = selectors.with_details(queryset)  # the export's customer and category columns
        return queryset.order_by(*self.order_by_fields())

    def current_sort(self) -> str:
        # The at-risk queue is worked soonest breach first.
        if not self.request.GET.get("sort") and self.filter_data.get("queue") == selectors.AT_RISK:
            return "breach"
        return super().current_sort()

    def order_by_fields(self) -> list:
        if self.current_sort().lstrip("-") == "breach":
            return selectors.time_to_breach_order(descending=self.current_sort().startswith("-"))
        fields = super().order_by_fields()
        if self.current_sort().lstrip("-") == "priority":
            # Equal priorities: the oldest first, as a queue is worked.
            return [fields[0], "opened_at", "pk"]
        return fields

    def prepare_filter_form(self, form) -> None:
        super().prepare_filter_form(form)
        for name in ("state", "priority"):
            form.fields[name].widget.attrs.update({"data-tom-select": "multiple", "placeholder": _("Any")})
        groups = form.fields["assignment_group"].queryset.order_by("name")
        offer_rows(form.fields["assignment_group"], [(selectors.NO_GROUP, _("(no group)")),
                                                     *groups.values_list("pk", "name")])
        form.fields["assignee"].queryset = workers()
        offer_rows(form.fields["assignee"], self.worker_rows)
        form.fields["assignee"].widget.attrs["data-tom-select"] = "single"
        categories = form.fields["category"].queryset.order_by("name")
        offer_rows(form.fields["category"], categories.values_list("pk", "name"))
        # Services grow with the CMDB: the page holds only the chosen one, Tom Select searches the rest.
        chosen = str(form["service"].value() or "")
        services_ = (cmdb_selectors.ci_list(self.request.user).services().filter(pk=int(chosen)).values_list(
            "pk", "number", "name") if chosen.isdigit() else [])
        form.fields["service"].label = _("Service")
        form["service"].label = _("Service")  # validation bound the field already, with the API's label
        form.fields["service"].widget = forms.Select(
            choices=[("", _("Any"))] + [(pk, f"{number} {name}") for pk, number, name in services_],
            attrs={"class": "form-select", "data-tom-select": "search", "placeholder": _("Any"),
                   "data-search-url": reverse("incident_ci_search") + "?service=1"},
        )

    @cached_property
    def worker_rows(self) -> list[tuple[int, str]]:
        """The people who work incidents, read once for the assignee filter and the bulk form."""
        return people_rows(workers())

    def get_context_data(self, **kwargs):
        user = self.request.user
        can_write = self.may_write(user)
        queue = self.filter_data.get("queue", "")
        query = self.filter_data.copy()
        for key in ("page", "export"):
            query.pop(key, None)
        partial = self.partial
        tabs, counts = [], ({} if partial else selectors.queue_counts(user))
        for value, label in QUEUE_TABS:
            if value in ("mine", "unassigned") and not can_write:
                continue
            count = counts.get(value) if value else None
            tabs.append({"value": value, "label": label, "active": value == queue, "count": count,
                         "url": "?" + urlencode({"queue": value})})
        at_risk_tab = {"value": selectors.AT_RISK, "label": _("At risk"), "active": queue == selectors.AT_RISK,
                       "count": None if partial else selectors.at_risk_count(user),
                       "url": "?" + urlencode({"queue": selectors.AT_RISK})}
        kwargs.update(
            queue_tabs=tabs, at_risk_tab=at_risk_tab, queue=queue, query_string=query.urlencode(),
            saved_filters=list(selectors.saved_filters_of(user)) if can_write and not partial else [],
            saved_filter_form=SavedFilterForm(initial={"query": query.urlencode()}),
            tick_boxes=can_write,  # for the bulk form, which is outside the results part
            bulk_form=(BulkForm(user=user, initial={"next": self.request.get_full_path()}, worker_rows=self.worker_rows)
                       if can_write and not partial else None),
            # Later apps' actions on the ticked rows (incidents.panels): buttons of the bulk form.
            extra_bulk_actions=bulk_actions_for(user) if can_write and not partial else [],
        )
        context = super().get_context_data(**kwargs)
        rows = list(context["object_list"])
        prepare_rows(rows)
        context["rows_html"] = render_fragment("incidents/_queue_rows.jinja", {
            "rows": rows, "texts": queue_texts(), "tick_boxes": context["tick_boxes"], "dash": "—"})
        return context


def queue_texts() -> dict:
    """The translated words of every queue row, looked up once per page in its language."""
    return {"select": _("Select %(number)s"), "major": _("Major"), "sla_left": _("%(time)s left"),
            "sla_over": _("%(time)s overdue"),
            "sla_wall": _("Wall-clock time until the due instant (%(business)s of business time left)")}


def prepare_rows(rows: list[Incident]) -> None:
    """What each queue row prints beyond its fields, worked out once for the page: labels
    translated once (not per row through get_FOO_display), instants formatted with one
    format, the SLA clock, the link. The rows are then one autoescaped Jinja2 fragment
    (templates/incidents/_queue_rows.jinja, itsm.fragments): through Django's template engine
    they cost four times as much CPU (bench/queue_rows.py)."""
    states = {value: str(label) for value, label in IncidentState.choices}
    priorities = {value: str(label) for value, label in Priority.choices}
    short_format = get_format("SHORT_DATETIME_FORMAT")
    now = timezone.now()
    clocks = selectors.clocks_of(rows)  # one query for the page, whatever its length
    for incident in rows:
        incident.state_label = states.get(incident.state, incident.state)
        incident.priority_label = priorities.get(incident.priority, incident.priority)
        incident.opened_label = dateformat.format(timezone.localtime(incident.opened_at), short_format)
        incident.updated_label = dateformat.format(timezone.localtime(incident.updated_at), short_format)
        timer = clocks.get(incident.pk)
        incident.sla_clock = queue_clock(timer, now) if timer is not None else None
        incident.url = reverse("incident_detail", args=[incident.pk])


def queue_clock(timer, now) -> dict:
    """The compact clock of a queue row: time left, paused, breached, met or cancelled, as the
    badge shows it (the row template only places these strings)."""
    clock = sla_explain.clock(timer, now)
    metric = timer.get_metric_display()
    if clock.overdue and not timer.stopped_at:
        badge, css, title, text = "breached", "bg-red text-red-fg", metric, _("Breached")
    elif timer.state == "running" and timer.due_at is not None:
        badge, css = "running", f"bg-{clock.bar_colour}-lt"
        title = f"{metric} · {clock.percent} %"
        # Wall-clock time until the due instant, as the live countdown (static/js/sla-clock.js) shows it.
        text = _("%(time)s left") % {"time": sla_explain.humanize(timer.due_at - now)}
    else:
        colour = clock.bar_colour if timer.state == "running" else clock.state_colour
        badge, css, title, text = timer.state, f"bg-{colour}-lt", metric, timer.get_state_display()
    return {"badge": badge, "css": css, "title": title, "text": text, "ticking": badge == "running",
            "due_at": timer.due_at, "business_left": sla_explain.humanize(clock.remaining)}


class IncidentBulkView(IncidentMixin, View):
    """Assign or move the ticked incidents; a refusal of one does not stop the others."""

    def post(self, request):
        form = BulkForm(request.POST, user=request.user)
        back = safe_next(request, form.data.get("next"))
        if not form.is_valid():
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
            return redirect(back)
        incidents = list(form.cleaned_data["incidents"].order_by("number"))
        data = form.cleaned_data
        if data["operation"] == "assign":
            results = services.incidents_bulk(actor=request.user, incidents=incidents, operation="assign",
                                              group=data["assignment_group"], assignee=data.get("assignee"))
        else:
            results = services.incidents_bulk(actor=request.user, incidents=incidents, operation="transition",
                                              name=data["transition"], data=form.transition_data())
        done = [r.incident.number for r in results if r.ok]
        refused = [r for r in results if not r.ok]
        if done:
            messages.success(request, _("Done for %(count)s: %(numbers)s.") % {
                "count": len(done), "numbers": ", ".join(done)})
        if refused:
            messages.error(request, _("Refused for %(count)s: %(details)s") % {
                "count": len(refused),
                "details": "; ".join(f"{r.incident.number}: {r.error}" for r in refused)})
        return redirect(back)


def safe_next(request, url) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return reverse("incident_list")


class SavedFilterCreateView(IncidentMixin, View):
    """Save the person's current filter of a list page; a later app's list subclasses it with its
    own `list_name`, `list_url_name` and roles (problems.views.list)."""

    list_name = "incidents"
    list_url_name = "incident_list"

    def post(self, request):
        form = SavedFilterForm(request.POST)
        query = request.POST.get("query", "")
        if not form.is_valid():
            messages.error(request, _("Name the filter."))
        else:
            try:
                saved = services.saved_filter_create(actor=request.user, name=form.cleaned_data["name"],
                                                     query=clean_query(form.cleaned_data["query"]),
                                                     list_name=self.list_name)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
                query = saved.query
        return redirect(reverse(self.list_url_name) + (f"?{query.lstrip('?')}" if query else ""))


class SavedFilterDeleteView(IncidentMixin, View):
    """Delete one of the person's own filters; another person's filter is "not found"."""

    list_name = "incidents"
    list_url_name = "incident_list"

    def post(self, request, pk):
        saved = get_object_or_404(SavedFilter, pk=pk, owner=request.user, list_name=self.list_name)
        services.saved_filter_delete(actor=request.user, saved_filter=saved)
        messages.success(request, _("Filter “%(name)s” deleted.") % {"name": saved.name})
        return redirect(self.list_url_name)
