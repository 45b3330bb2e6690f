"""The incident page: the record, its timeline (journal and field history), its SLA clocks
and the forms of its actions."""


from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import View

from itsm.timeline import plain_entry, record_timeline
from slas import explain as sla_explain
from slas.choices import Metric

from .. import selectors
from ..choices import IncidentState, Priority
from ..forms import (
    AssignForm,
    AttachmentForm,
    CommentForm,
    CommunicationForm,
    MajorForm,
    TransitionForm,
)
from ..panels import panels_for
from .common import IncidentGateMixin, IncidentMixin

HISTORY_HIDDEN_FIELDS = ["cis", "version", "updated_at", "updated_by", "created_at", "created_by", "alert_count"]


def timeline(incident, user):
    """Journal entries and field changes of the incident, merged, newest first."""
    return record_timeline(incident, user, states=dict(IncidentState.choices), hidden_fields=HISTORY_HIDDEN_FIELDS,
                           describe=_describe)


def _describe(entry) -> tuple[str, str, str]:
    """Communications and attachments stand out on an incident's timeline."""
    data = entry.data or {}
    if data.get("communication"):
        return "communication", "red", _("Communication to %(audience)s") % {"audience": data.get("audience", "")}
    if data.get("attachment"):
        return "attachment", "teal", _("Attachment")
    return plain_entry(entry)


class ClockList(list):
    """The clock items of a record page, in order: the customer's (service level) first, then the
    assignment groups' (operational level); `.sla` and `.ola` are the two columns shown side by side."""

    @property
    def sla(self) -> list[dict]:
        return [item for item in self if item["scope"] == "sla"]

    @property
    def ola(self) -> list[dict]:
        return [item for item in self if item["scope"] == "ola"]


def _clock_item(timer, now) -> dict:
    clock = sla_explain.clock(timer, now)
    explanation = sla_explain.explain(timer, now)
    return {
        "timer": timer, "clock": clock, "metric": timer.get_metric_display(),
        "target": timer.target, "goal": sla_explain.business_hours(timer.goal),
        "elapsed": sla_explain.humanize(clock.elapsed), "remaining": sla_explain.humanize(clock.remaining),
        "percent_bar": min(int(clock.percent), 100),
        "ticking": timer.state == "running" and timer.due_at is not None,
        "overdue_by": sla_explain.humanize(now - timer.due_at) if clock.overdue and timer.due_at else "",
        # The live countdown's first text: wall-clock time until the due instant (sla-clock.js).
        "wall_left": sla_explain.humanize(timer.due_at - now) if timer.due_at and timer.due_at > now else "",
        "calendar": timer.target.calendar.name,
        "scope": "ola" if timer.ola_team_id else "sla",
        "scope_text": explanation.scope_text, "cycle_text": explanation.cycle_text,
        "events": [{"event": event, "elapsed": sla_explain.humanize(event.elapsed),
                    "detail": sla_explain.event_detail(event)} for event in explanation.events],
        "intervals": [{"interval": interval, "counted": sla_explain.humanize(interval.counted)}
                      for interval in explanation.intervals],
    }


def sla_clocks(incident, now=None, timers=None) -> ClockList:
    """The incident's SLA timers as the page shows them: per key (metric, and the customer's or
    one group's), its current cycle's clock, outcome and explanation, with every cycle of the key
    (`cycles`, first to last, when there are several). `timers`: another record's timers, read by
    its app (a problem page shows its clocks so)."""
    now = now or timezone.now()
    keys: dict[tuple, list] = {}
    for timer in selectors.timers_of(incident) if timers is None else timers:
        keys.setdefault((timer.metric, timer.ola_team_id), []).append(timer)
    order = {metric: index for index, metric in enumerate(Metric.values)}
    items = []
    for cycles in keys.values():
        cycles.sort(key=lambda t: t.cycle)
        current = next((t for t in cycles if t.is_current), cycles[-1])
        item = _clock_item(current, now)
        item["group"] = current.ola_team.name if current.ola_team_id else ""
        item["cycles"] = [_clock_item(t, now) for t in cycles] if len(cycles) > 1 else []
        items.append(item)
    items.sort(key=lambda i: (i["scope"] == "ola", i["group"].lower(), order.get(i["timer"].metric, 99)))
    return ClockList(items)


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
            confirm = _("Cancel %(number)s?") % {"number": incident.number} if step.name == "cancel" else ""
            transition_forms.append({"step": step, "form": form, "direct": not step.fields, "confirm": confirm})
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
            # Later apps' panels (incidents.panels): the incident's problem, known errors, ...
            "side_panels": panels_for(incident, user, "side"),
            "main_panels": panels_for(incident, user, "main"),
        }
        return render(self.request, self.template_name, context, status=status)
