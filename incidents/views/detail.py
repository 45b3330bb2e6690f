"""The incident page: the record, its timeline (journal and field history), its SLA clocks
and the forms of its actions."""


from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import View

from itsm.choices import JournalKind
from itsm.history import history_rows as field_history
from itsm.journal import journal_for
from slas import explain as sla_explain

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

HISTORY_ROWS = 100
TIMELINE_ENTRIES = 200
HISTORY_HIDDEN_FIELDS = ["cis", "version", "updated_at", "updated_by", "created_at", "created_by", "alert_count"]


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


def sla_clocks(incident, now=None, timers=None) -> list[dict]:
    """The incident's SLA timers as the page shows them: clock, outcome and explanation.
    `timers`: another record's timers, read by its app (a problem page shows its clocks so)."""
    now = now or timezone.now()
    clocks = []
    for timer in selectors.timers_of(incident) if timers is None else timers:
        clock = sla_explain.clock(timer, now)
        explanation = sla_explain.explain(timer, now)
        clocks.append({
            "timer": timer, "clock": clock, "metric": timer.get_metric_display(),
            "target": timer.target, "goal": sla_explain.business_hours(timer.goal),
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
            # Later apps' panels (incidents.panels): the incident's problem, known errors, ...
            "side_panels": panels_for(incident, user, "side"),
            "main_panels": panels_for(incident, user, "main"),
        }
        return render(self.request, self.template_name, context, status=status)
