"""The service desk's incident pages: queues, logging, the incident page and its actions.

Thin views over incidents.selectors (reads, the one access gate) and incidents.services
(every write). Staff read (auditors too, without any control); agents, team leads and
administrators work incidents. Requesters have the portal and get 403 here.
"""

import copy
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View

from config_items import selectors as cmdb_selectors
from itsm.attachments import attachment_response
from itsm.choices import JournalKind
from itsm.exceptions import DomainError, TransitionNotAllowed, messages_of
from itsm.exports import Column
from itsm.forms import add_error_to_form, offer_rows, people_rows
from itsm.fragments import render_fragment
from itsm.history import history_rows as field_history
from itsm.journal import journal_for
from itsm.models import Attachment, User
from itsm.permissions import STAFF_ROLES
from itsm.views.lists import FilteredListView
from itsm.views.mixins import RoleRequiredMixin, ServiceFormView
from slas import explain as sla_explain

from .. import selectors, services
from ..choices import IncidentState, Priority
from ..filtersets import IncidentFilterSet
from ..forms import (
    AssignForm,
    AttachmentForm,
    BulkForm,
    CommentForm,
    CommunicationForm,
    IncidentForm,
    MajorForm,
    SavedFilterForm,
    TransitionForm,
    workers,
)
from ..models import Incident, SavedFilter
from ..workflow import CALLERS, INCIDENT_WORKERS

SEARCH_RESULTS = 20
HISTORY_ROWS = 100
TIMELINE_ENTRIES = 200
HISTORY_HIDDEN_FIELDS = ["cis", "version", "updated_at", "updated_by", "created_at", "created_by", "alert_count"]
QUEUE_TABS = (
    ("mine", gettext_lazy("My work")),
    ("unassigned", gettext_lazy("My teams' unassigned")),
    ("triage", gettext_lazy("Triage (no group)")),
    ("open", gettext_lazy("All open")),
    ("major", gettext_lazy("Major")),
    ("resolved", gettext_lazy("Recently resolved")),
    ("", gettext_lazy("All incidents")),
)


class IncidentMixin(RoleRequiredMixin):
    """Staff read; the service desk writes."""

    write_roles = INCIDENT_WORKERS


class IncidentGateMixin:
    """The incident of the URL through the one access gate (404 for missing and forbidden alike)."""

    @cached_property
    def incident(self) -> Incident:
        return selectors.incident_get_for_user(self.request.user, self.kwargs["pk"])


def posted_version(request):
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


# Queues ------------------------------------------------------------------------------------------

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
    def post(self, request):
        form = SavedFilterForm(request.POST)
        query = request.POST.get("query", "")
        if not form.is_valid():
            messages.error(request, _("Name the filter."))
        else:
            try:
                saved = services.saved_filter_create(actor=request.user, name=form.cleaned_data["name"],
                                                     query=clean_query(form.cleaned_data["query"]))
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
                query = saved.query
        return redirect(reverse("incident_list") + (f"?{query.lstrip('?')}" if query else ""))


def clean_query(query: str) -> str:
    """The query worth saving: without empty filters, the page number or an export."""
    pairs = [(key, value) for key, values in QueryDict(query.lstrip("?")).lists() for value in values if value]
    return urlencode([(key, value) for key, value in pairs if key not in ("page", "export")])


class SavedFilterDeleteView(IncidentMixin, View):
    """Delete one of the person's own filters; another person's filter is "not found"."""

    def post(self, request, pk):
        saved = get_object_or_404(SavedFilter, pk=pk, owner=request.user)
        services.saved_filter_delete(actor=request.user, saved_filter=saved)
        messages.success(request, _("Filter “%(name)s” deleted.") % {"name": saved.name})
        return redirect("incident_list")


# Logging and editing -----------------------------------------------------------------------------

class IncidentFormView(ServiceFormView):
    template_name = "incidents/incident_form.html"
    form_class = IncidentForm
    read_roles = write_roles = INCIDENT_WORKERS
    success_url_name = "incident_detail"
    incident = None

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user,
                  "instance": copy.copy(self.incident) if self.incident else Incident()}
        if self.incident is None:
            kwargs["initial"] = {key: self.request.GET[key] for key in ("service", "caller", "parent")
                                 if self.request.GET.get(key)}
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(incident=self.incident, **kwargs)


class IncidentCreateView(IncidentFormView):
    success_message = gettext_lazy("Incident %(object)s logged.")

    def perform(self, form):
        return services.incident_create(actor=self.request.user, data=form.service_data())


class IncidentUpdateView(IncidentGateMixin, IncidentFormView):
    success_message = gettext_lazy("Incident %(object)s saved.")

    def get(self, request, *args, **kwargs):
        if self.incident.state in Incident.workflow.final_states:
            messages.error(request, _("%(number)s is %(state)s and can no longer be changed.") % {
                "number": self.incident.number, "state": self.incident.get_state_display()})
            return redirect("incident_detail", pk=self.incident.pk)
        return super().get(request, *args, **kwargs)

    def perform(self, form):
        data = form.service_data()
        # Assignment is changed through the same service only when it changed (it journals itself).
        return services.incident_update(actor=self.request.user, incident=self.incident, data=data,
                                        expected_version=form.cleaned_data["version"])


# The incident page -------------------------------------------------------------------------------

def history_rows(incident, limit=HISTORY_ROWS):
    """The incident's field changes, newest first (its creation is the timeline's first line)."""
    rows = field_history(incident, hidden_fields=HISTORY_HIDDEN_FIELDS, limit=limit)
    return [row for row in rows if row["changes"]]


def timeline(incident, user):
    """Journal entries and field changes of the incident, merged, newest first."""
    items = []
    state_labels = dict(IncidentState.choices)
    for entry in journal_for(incident, user).order_by("-created_at", "-id")[:TIMELINE_ENTRIES]:
        data = entry.data or {}
        kind = "communication" if data.get("communication") else (
            "attachment" if data.get("attachment") else entry.kind)
        colour = "red" if kind == "communication" else ("teal" if kind == "attachment" else kind_colour(entry.kind))
        items.append({
            "type": "journal", "kind": kind, "entry": entry, "when": entry.created_at, "who": entry.author,
            "colour": colour, "label": _label_of(kind, entry),
            "state_from": state_labels.get(data.get("from")) if entry.kind == JournalKind.STATE_CHANGE else None,
            "state_to": state_labels.get(data.get("to")) if entry.kind == JournalKind.STATE_CHANGE else None,
        })
    for row in history_rows(incident):
        items.append({"type": "history", "kind": "history", "when": row["record"].history_date,
                      "who": row["record"].history_user, "colour": "muted", "label": _("Fields changed"),
                      "row": row})
    items.sort(key=lambda item: item["when"], reverse=True)
    return items


def kind_colour(kind: str) -> str:
    try:
        return JournalKind(kind).colour
    except (ValueError, KeyError):
        return "secondary"


def _label_of(kind, entry) -> str:
    if kind == "communication":
        return _("Communication to %(audience)s") % {"audience": entry.data.get("audience", "")}
    if kind == "attachment":
        return _("Attachment")
    return entry.get_kind_display()


def sla_clocks(incident, now=None) -> list[dict]:
    """The incident's SLA timers as the page shows them: clock, outcome and explanation."""
    now = now or timezone.now()
    clocks = []
    for timer in selectors.timers_of(incident):
        clock = sla_explain.clock(timer, now)
        explanation = sla_explain.explain(timer, now)
        clocks.append({
            "timer": timer, "clock": clock, "metric": timer.get_metric_display(),
            "target": timer.target, "goal": sla_explain.humanize(timer.goal),
            "elapsed": sla_explain.humanize(clock.elapsed), "remaining": sla_explain.humanize(clock.remaining),
            "percent_bar": min(int(clock.percent), 100),
            "ticking": timer.state == "running" and timer.due_at is not None,
            "overdue_by": sla_explain.humanize(now - timer.due_at) if clock.overdue and timer.due_at else "",
            # The live countdown's first text: wall-clock time until the due instant (sla-clock.js).
            "wall_left": sla_explain.humanize(timer.due_at - now) if timer.due_at and timer.due_at > now else "",
            "calendar": timer.target.calendar.name,
            "events": [{"event": event, "elapsed": sla_explain.humanize(event.elapsed),
                        "detail": sla_explain.event_detail(event)} for event in explanation.events],
            "intervals": [{"interval": interval, "counted": sla_explain.humanize(interval.counted)}
                          for interval in explanation.intervals],
        })
    return clocks


class IncidentDetailView(IncidentGateMixin, IncidentMixin, View):
    template_name = "incidents/incident_detail.html"

    def get(self, request, pk):
        return self.render_page()

    def render_page(self, status=200, open_panel="", **forms):
        incident, user = self.incident, self.request.user
        can_write = self.may_write(user)
        steps = incident.workflow.available(incident, user) if can_write else []
        version = {"version": incident.version}
        transition_forms = []
        for step in steps:
            form = forms.pop(f"transition_{step.name}", None) or TransitionForm(step=step, initial=version)
            transition_forms.append({"step": step, "form": form, "direct": not step.fields})
        assign_initial = {**version, "assignment_group": incident.assignment_group_id,
                          "assignee": incident.assignee_id}
        context = {
            "incident": incident, "can_write": can_write, "is_open": incident.is_open,
            "editable": can_write and incident.state not in incident.workflow.final_states,
            "transition_forms": transition_forms, "open_panel": open_panel,
            "assign_form": forms.get("assign_form") or AssignForm(initial=assign_initial),
            "comment_form": forms.get("comment_form") or CommentForm(),
            "attachment_form": forms.get("attachment_form") or AttachmentForm(),
            "major_form": forms.get("major_form") or MajorForm(initial=version),
            "communication_form": forms.get("communication_form") or CommunicationForm(),
            "timeline": timeline(incident, user),
            "attachments": list(selectors.incident_attachments(incident)),
            "children": list(selectors.children_of(incident)),
            "cis": list(incident.cis.select_related("ci_type").order_by("name")),
            "parent": incident.parent if incident.parent_id else None,
            "state_colour": incident.state_colour, "priority_colour": incident.priority_colour,
            "priority_short": Priority(incident.priority).short,
            "assigned_to_me": incident.assignee_id == user.pk,
            "sla_clocks": sla_clocks(incident),
        }
        return render(self.request, self.template_name, context, status=status)


class IncidentActionView(IncidentDetailView):
    """A POST from the incident page: on success back to the page, on refusal the page again
    with the form, its errors and the input kept."""

    def get(self, request, pk):
        return self.http_method_not_allowed(request)

    def done(self, message=""):
        if message:
            messages.success(self.request, message)
        return redirect(reverse("incident_detail", args=[self.incident.pk]))

    def refuse(self, form, exc, panel, name):
        add_error_to_form(form, exc)
        return self.render_page(status=400, open_panel=panel, **{name: form})


class IncidentTransitionView(IncidentActionView):
    def post(self, request, pk):
        incident = self.incident
        name = request.POST.get("transition", "")
        try:
            step = incident.workflow.get(name)
        except TransitionNotAllowed as exc:
            messages.error(request, exc.message)
            return self.done()
        form = TransitionForm(request.POST, step=step)
        panel, form_name = f"transition-{step.name}", f"transition_{step.name}"
        if not form.is_valid():
            return self.render_page(status=400, open_panel=panel, **{form_name: form})
        try:
            incident = services.incident_transition(
                actor=request.user, incident=incident, name=name, data=form.step_data(),
                reason=form.cleaned_data.get("reason", ""), expected_version=form.cleaned_data.get("version"))
        except TransitionNotAllowed as exc:
            messages.error(request, exc.message)
            return self.done()
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, panel, form_name)
        return self.done(_("%(number)s is now %(state)s.") % {
            "number": incident.number, "state": incident.get_state_display()})


class IncidentAssignView(IncidentActionView):
    def post(self, request, pk):
        form = AssignForm(request.POST)
        if not form.is_valid():
            return self.render_page(status=400, open_panel="assign", assign_form=form)
        try:
            incident = services.incident_assign(
                actor=request.user, incident=self.incident, group=form.cleaned_data["assignment_group"],
                assignee=form.cleaned_data.get("assignee"), expected_version=form.cleaned_data.get("version"))
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "assign", "assign_form")
        who = " / ".join(str(x) for x in (incident.assignment_group, incident.assignee) if x)
        return self.done(_("%(number)s assigned to %(who)s.") % {"number": incident.number, "who": who})


class IncidentAssignToMeView(IncidentActionView):
    def post(self, request, pk):
        try:
            incident = services.incident_assign_to_me(actor=request.user, incident=self.incident,
                                                      expected_version=posted_version(request))
        except (ValidationError, DomainError) as exc:
            messages.error(request, " ".join(messages_of(exc, field_names=False)))
            return self.done()
        return self.done(_("%(number)s is yours now.") % {"number": incident.number})


class IncidentCommentView(IncidentActionView):
    def post(self, request, pk):
        form = CommentForm(request.POST)
        if not form.is_valid():
            return self.render_page(status=400, open_panel="comment", comment_form=form)
        try:
            services.incident_comment(actor=request.user, incident=self.incident, body=form.cleaned_data["body"],
                                      internal=form.cleaned_data["internal"])
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "comment", "comment_form")
        return self.done(_("Work note added.") if form.cleaned_data["internal"] else _("Comment added."))


class IncidentAttachView(IncidentActionView):
    def post(self, request, pk):
        form = AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(status=400, open_panel="attachments", attachment_form=form)
        try:
            attachment = services.incident_attach(actor=request.user, incident=self.incident,
                                                  upload=form.cleaned_data["file"])
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "attachments", "attachment_form")
        return self.done(_("Attached %(name)s.") % {"name": attachment.filename})


class IncidentMajorView(IncidentActionView):
    """Promote to major incident (with the reason), or end the major status."""

    def post(self, request, pk):
        form = MajorForm(request.POST)
        demote = request.POST.get("action") == "demote"
        if not form.is_valid():
            return self.render_page(status=400, open_panel="major", major_form=form)
        service = services.incident_demote_major if demote else services.incident_promote_major
        try:
            incident = service(actor=request.user, incident=self.incident, reason=form.cleaned_data["reason"],
                               expected_version=form.cleaned_data.get("version"))
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "major", "major_form")
        if demote:
            return self.done(_("%(number)s is no longer a major incident.") % {"number": incident.number})
        return self.done(_("%(number)s is a major incident.") % {"number": incident.number})


class IncidentCommunicateView(IncidentActionView):
    def post(self, request, pk):
        if not self.incident.is_major:
            # The service refuses it too; said here first because the page of an incident that is
            # not major has no communication panel to show a form error on.
            messages.error(request, _("Communications are for major incidents."))
            return self.done()
        form = CommunicationForm(request.POST)
        if not form.is_valid():
            return self.render_page(status=400, open_panel="communication", communication_form=form)
        try:
            services.incident_communicate(actor=request.user, incident=self.incident,
                                          body=form.cleaned_data["body"], audience=form.cleaned_data["audience"])
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "communication", "communication_form")
        return self.done(_("Communication recorded."))


class AttachmentDownloadView(RoleRequiredMixin, View):
    """An incident's attachment, for whoever may see the incident (the portal's callers too)."""

    read_roles = (*STAFF_ROLES, *CALLERS)

    def get(self, request, pk):
        attachment = get_object_or_404(Attachment, pk=pk,
                                       content_type=ContentType.objects.get_for_model(Incident))
        selectors.incident_get_for_user(request.user, attachment.object_id, details=False)
        return attachment_response(attachment)


# Helpers for the forms (htmx partials and autocomplete) ------------------------------------------

class DuplicatesView(IncidentMixin, View):
    """Open incidents on the chosen service or CIs: the logging form's hint panel."""

    def get(self, request):
        service = request.GET.get("service", "")
        cis = [v for v in request.GET.getlist("cis") if v.isdigit()]
        exclude = request.GET.get("exclude", "")
        rows = list(selectors.possible_duplicates(
            service_id=int(service) if service.isdigit() else None, ci_ids=[int(v) for v in cis],
            exclude_pk=int(exclude) if exclude.isdigit() else None))
        return render(request, "incidents/_duplicates.html", {"duplicates": rows,
                                                               "asked": bool(service.isdigit() or cis)})


class CallerSearchView(IncidentMixin, View):
    """Autocomplete of callers: {"results": [{"value": id, "text": "Name (username) email"}]}."""

    def get(self, request):
        query = request.GET.get("q", "").strip()
        people = User.objects.filter(is_active=True)
        for word in query.split()[:4]:
            people = people.filter(Q(username__icontains=word) | Q(first_name__icontains=word)
                                   | Q(last_name__icontains=word) | Q(email__icontains=word))
        rows = people.order_by("first_name", "last_name", "username").values(
            "pk", "username", "first_name", "last_name", "email")[:SEARCH_RESULTS]
        results = []
        for row in rows:
            name = f"{row['first_name']} {row['last_name']}".strip()
            text = f"{name} ({row['username']})" if name else row["username"]
            results.append({"value": row["pk"], "text": f"{text} {row['email']}".strip()})
        return JsonResponse({"results": results})


class CISearchView(IncidentMixin, View):
    """Autocomplete of CIs (`?service=1`: services only) for the logging form."""

    def get(self, request):
        query = request.GET.get("q", "").strip()
        cis = cmdb_selectors.ci_list(request.user)
        if request.GET.get("service") == "1":
            cis = cis.filter(ci_type__is_service=True)
        if query:
            cis = cis.filter(Q(name__icontains=query) | Q(number__icontains=query))
        rows = cis.order_by("name", "pk").values("pk", "number", "name", "ci_type__name")[:SEARCH_RESULTS]
        return JsonResponse({"results": [
            {"value": row["pk"], "text": f"{row['number']} {row['name']} ({row['ci_type__name']})"} for row in rows
        ]})


urlpatterns = [
    path("", IncidentListView.as_view(), name="incident_list"),
    path("new/", IncidentCreateView.as_view(), name="incident_create"),
    path("bulk/", IncidentBulkView.as_view(), name="incident_bulk"),
    path("duplicates/", DuplicatesView.as_view(), name="incident_duplicates"),
    path("callers/", CallerSearchView.as_view(), name="incident_caller_search"),
    path("cis/", CISearchView.as_view(), name="incident_ci_search"),
    path("filters/", SavedFilterCreateView.as_view(), name="incident_saved_filter_create"),
    path("filters/<int:pk>/delete/", SavedFilterDeleteView.as_view(), name="incident_saved_filter_delete"),
    path("attachments/<int:pk>/", AttachmentDownloadView.as_view(), name="incident_attachment_download"),
    path("<int:pk>/", IncidentDetailView.as_view(), name="incident_detail"),
    path("<int:pk>/edit/", IncidentUpdateView.as_view(), name="incident_update"),
    path("<int:pk>/transition/", IncidentTransitionView.as_view(), name="incident_transition"),
    path("<int:pk>/assign/", IncidentAssignView.as_view(), name="incident_assign"),
    path("<int:pk>/assign-to-me/", IncidentAssignToMeView.as_view(), name="incident_assign_to_me"),
    path("<int:pk>/comment/", IncidentCommentView.as_view(), name="incident_comment"),
    path("<int:pk>/attachments/", IncidentAttachView.as_view(), name="incident_attach"),
    path("<int:pk>/major/", IncidentMajorView.as_view(), name="incident_major"),
    path("<int:pk>/communications/", IncidentCommunicateView.as_view(), name="incident_communicate"),
]
