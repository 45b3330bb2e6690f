"""What the modules of problems.services share: the fields people set, who works problems, the
cross-field rules, the assignment journal, the SLA clocks and the actor of incident cascades."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents.workflow import INCIDENT_WORKERS
from itsm.choices import JournalKind
from itsm.events import emit
from itsm.journal import journal_add
from itsm.permissions import may, permitted
from itsm.services import system_actor
from slas.services import timers_sync

from ..models import Problem
from ..workflow import PROBLEM_MANAGERS, PROBLEM_WORKERS

# What problem workers set on a problem (assignment has its own service, the state its workflow).
EDITABLE_FIELDS = ("short_description", "description", "symptom", "service", "cis", "category", "impact",
                   "urgency", "problem_manager", "source", "root_cause", "root_cause_category",
                   "contributing_factors", "workaround", "fix")
CREATE_FIELDS = (*EDITABLE_FIELDS, "assignment_group", "assignee")


def refuse_final(problem: Problem) -> None:
    if problem.state in Problem.workflow.final_states:
        raise ValidationError(_("%(number)s is %(state)s and can no longer be changed.") % {
            "number": problem.number, "state": problem.get_state_display()})


def validate(problem: Problem) -> None:
    """Cross-field rules; raises one ValidationError with every problem found."""
    errors = {}
    if problem.service_id and not problem.service.ci_type.is_service:
        errors["service"] = _("%(ci)s is not a service.") % {"ci": problem.service}
    if problem.category_id and problem.category.parent_id is not None:
        errors["category"] = _("Choose a top-level category.")
    if problem.assignee_id:
        if not problem.assignment_group_id:
            errors["assignment_group"] = _("Choose the assignment group of the assignee.")
        elif not problem.assignment_group.members.filter(pk=problem.assignee_id).exists():
            errors["assignee"] = _("%(user)s is not a member of %(team)s.") % {
                "user": problem.assignee, "team": problem.assignment_group}
        elif not may(problem.assignee, PROBLEM_WORKERS):
            errors["assignee"] = _("%(user)s does not work problems.") % {"user": problem.assignee}
    if problem.assignment_group_id and not problem.assignment_group.is_active:
        errors["assignment_group"] = _("%(team)s is not active.") % {"team": problem.assignment_group}
    if problem.problem_manager_id and not may(problem.problem_manager, PROBLEM_MANAGERS):
        errors["problem_manager"] = _("%(user)s is not a problem manager.") % {"user": problem.problem_manager}
    if errors:
        raise ValidationError(errors)


def refuse_retired(data: dict, *, before: Problem | None = None) -> None:
    errors = {}
    for name in ("category", "root_cause_category"):
        value = data.get(name)
        if value is not None and not value.is_active and getattr(before, f"{name}_id", None) != value.pk:
            errors[name] = _("%(value)s is no longer in use.") % {"value": value}
    if errors:
        raise ValidationError(errors)


def assignment_summary(problem: Problem) -> dict:
    return {"group": problem.assignment_group_id, "assignee": problem.assignee_id}


def journal_assignment(problem: Problem, actor, before: dict) -> None:
    after = assignment_summary(problem)
    if after == before:
        return
    journal_add(
        record=problem, actor=actor, kind=JournalKind.ASSIGNMENT, is_public=False,
        body=_("Assigned to %(who)s") % {
            "who": " / ".join(str(x) for x in (problem.assignment_group, problem.assignee) if x) or _("nobody")},
        data={"from": before, "to": after},
    )
    emit("problem.assigned", record=problem, actor=actor, payload={"from": before, "to": after})


def sync_clocks(problem: Problem, actor, what: str, *, created: bool = False) -> None:
    """Bring the problem's SLA timers in line with it, in this transaction (slas engine)."""
    timers_sync(problem, cause=f"{problem.number} {what} ({actor.username})", created=created)


def incident_actor(actor):
    """Who changes linked incidents on a problem's behalf: the person when they work incidents,
    else the system account (the reason names the problem and the person)."""
    return actor if permitted(actor, INCIDENT_WORKERS) else system_actor()
