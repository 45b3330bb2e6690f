"""The problem page: header, allowed steps, linked incidents, investigation tasks, the
known-error panel, SLA clocks, attachments and the timeline (journal and field history)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.generic import View

from incidents.choices import IncidentState
from incidents.views.detail import sla_clocks
from itsm.permissions import permitted
from itsm.timeline import record_timeline
from slas.models import Timer

from .. import selectors
from ..choices import ProblemState, TaskState
from ..forms import AttachmentForm, CommentForm, LinkIncidentsForm, TaskFinishForm, TaskForm, TransitionForm
from ..models import Problem
from ..workflow import PROBLEM_MANAGERS
from .common import ProblemGateMixin, ProblemMixin

HISTORY_HIDDEN_FIELDS = ["cis", "version", "updated_at", "updated_by", "created_at", "created_by"]
OPEN_INCIDENT_STATES = (IncidentState.NEW, IncidentState.IN_PROGRESS, IncidentState.ON_HOLD)


def timeline(problem, user) -> list[dict]:
    """Journal entries and field changes of the problem, merged, newest first."""
    return record_timeline(problem, user, states=dict(ProblemState.choices), hidden_fields=HISTORY_HIDDEN_FIELDS)


def _step_note(step, counts: dict) -> dict:
    """Resolving says how many incidents wait on the problem (the step resumes or resolves them)."""
    if step.name != "resolve" or not counts.get("waiting"):
        return {}
    note = ngettext("%(counter)s incident is on hold waiting on this problem.",
                    "%(counter)s incidents are on hold waiting on this problem.",
                    counts["waiting"]) % {"counter": counts["waiting"]}
    return {"note": note, "note_id": "waiting-note"}


def problem_clocks(problem: Problem) -> list[dict]:
    """The problem's SLA timers, shown as the incident page shows its own."""
    timers = (Timer.objects.filter(content_type=ContentType.objects.get_for_model(Problem), object_id=problem.pk)
              .select_related("target__agreement", "target__calendar", "calendar_version", "ola_team")
              .prefetch_related(Prefetch("events", to_attr="event_list")))
    return sla_clocks(problem, timers=list(timers)) if problem.pk else []


def incident_summary(links, problem) -> dict:
    """The linked incidents' figures: how many, still open, waiting, recurrences since resolution."""
    resolved_at = problem.resolved_at
    recurring = [link for link in links if resolved_at and link.incident.opened_at > resolved_at]
    for link in links:
        link.recurrence = link in recurring
    return {
        "total": len(links),
        "open": sum(1 for link in links if link.incident.state in OPEN_INCIDENT_STATES),
        "waiting": sum(1 for link in links if link.waiting and link.incident.state == IncidentState.ON_HOLD),
        "recurrences": len(recurring),
    }


def known_error_panel(problem: Problem) -> dict | None:
    """What the known-error panel shows: the entry, its use, and whether it is stale (older than
    KNOWN_ERROR_STALE_DAYS without a fix)."""
    if not problem.is_known_error:
        return None
    since = problem.known_error_at
    stale = bool(since and not problem.fix.strip()
                 and timezone.now() - since > timedelta(days=settings.KNOWN_ERROR_STALE_DAYS))
    return {"counts": selectors.known_error_counts([problem])[problem.pk], "stale": stale,
            "stale_days": settings.KNOWN_ERROR_STALE_DAYS}


class ProblemDetailView(ProblemGateMixin, ProblemMixin, View):
    template_name = "problems/problem_detail.html"

    def get(self, request, pk):
        return self.render_page()

    def render_page(self, status=200, open_panel="", **forms):
        problem, user = self.problem, self.request.user
        can_write = self.may_write(user)
        editable = can_write and problem.state not in problem.workflow.final_states
        version = {"version": problem.version}
        links = list(selectors.linked_incidents(problem))
        counts = incident_summary(links, problem)
        transition_forms = []
        for step in problem.workflow.available(problem, user) if can_write else []:
            form = forms.get(f"transition_{step.name}") or TransitionForm(step=step, problem=problem,
                                                                           initial=version)
            transition_forms.append({"step": step, "form": form, "direct": not form_has_input(step),
                                     **_step_note(step, counts)})
        tasks = list(selectors.tasks_of(problem))
        refused = forms.get("finish_forms") or {}
        for task in tasks:  # each open task's own "done / cancel" form
            task.finish_form = refused.get(task.pk) or TaskFinishForm(initial={"version": task.version},
                                                                       auto_id=f"id_task{task.pk}_%s")
        context = {
            "problem": problem, "can_write": can_write, "editable": editable, "open_panel": open_panel,
            "is_manager": permitted(user, PROBLEM_MANAGERS),
            "transition_forms": transition_forms,
            "links": links, "incident_counts": counts,
            "tasks": tasks, "open_tasks": sum(1 for task in tasks if task.state == TaskState.OPEN),
            "task_form": forms.get("task_form") or TaskForm(),
            "link_form": forms.get("link_form") or LinkIncidentsForm(),
            "comment_form": forms.get("comment_form") or CommentForm(),
            "attachment_form": forms.get("attachment_form") or AttachmentForm(),
            "known_error": known_error_panel(problem),
            "cis": list(problem.ci_list) if hasattr(problem, "ci_list") else list(problem.cis.all()),
            "attachments": list(selectors.problem_attachments(problem)),
            "sla_clocks": problem_clocks(problem),
            "timeline": timeline(problem, user),
        }
        return render(self.request, self.template_name, context, status=status)


def form_has_input(step) -> bool:
    """A step whose form asks for something: its fields, or (resolve) what becomes of incidents."""
    return bool(step.fields) or step.name == "resolve"
