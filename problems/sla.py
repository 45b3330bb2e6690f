"""Problems as SLA subjects: what the engine reads of a problem, and how it escalates one.

Registered in ProblemsConfig.ready(); the slas app never imports problems. A problem's
"response" is its root cause found (time to root cause), its "resolution" its resolution.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from itsm.choices import JournalKind
from itsm.events import emit
from itsm.journal import journal_add
from itsm.models import Team
from itsm.services import system_actor
from slas.choices import BREACH, ActionKind
from slas.registry import Facts, SubjectType, register_subject

from .choices import ProblemState
from .models import Problem


def facts(problem: Problem) -> Facts:
    return Facts(
        customer_id=None, service_id=problem.service_id, priority=problem.priority,
        team_id=problem.assignment_group_id, state=problem.state, state_label=str(problem.get_state_display()),
        opened_at=problem.opened_at, responded_at=problem.root_cause_found_at,
        resolved_at=problem.resolved_at if problem.state in (ProblemState.RESOLVED, ProblemState.CLOSED) else None,
        cancelled=problem.state == ProblemState.CANCELLED,
    )


def states() -> list[tuple[str, str]]:
    return list(ProblemState.choices)


def act(problem: Problem, action: dict, timer, percent: int) -> dict:
    """Perform one escalation action for `problem` (inside the sweep's transaction)."""
    from . import services

    kind, actor = action["kind"], system_actor()
    label = _("breached") if percent == BREACH else _("%(percent)s %% of the goal used") % {"percent": percent}
    outcome, done = {}, _("nothing to do")
    if kind in (ActionKind.NOTIFY_ASSIGNEE, ActionKind.NOTIFY_GROUP_LEAD, ActionKind.NOTIFY_MANAGER):
        user = _recipient(problem, action)
        outcome = {"notified": user.username if user else None}
        done = _("notified %(name)s") % {"name": user} if user else _("nobody to notify")
        if user is not None:
            emit("problem.sla_escalated", record=problem, actor=actor, payload={
                "recipient": user.pk, "metric": timer.metric, "percent": percent, "timer": timer.pk})
    elif kind == ActionKind.RAISE_PRIORITY and problem.is_open and problem.urgency > 1:
        services.problem_update(actor=actor, problem=problem, data={"urgency": problem.urgency - 1},
                                reason=f"SLA escalation ({percent} %)")
        outcome, done = {"urgency": problem.urgency - 1}, _("urgency raised")
    elif kind == ActionKind.REASSIGN and problem.is_open:
        team = Team.objects.filter(pk=action.get("team"), is_active=True).first()
        if team is not None and team.pk != problem.assignment_group_id:
            services.problem_assign(actor=actor, problem=problem, group=team, reason=f"SLA escalation ({percent} %)")
            outcome, done = {"reassigned_to": team.name}, _("reassigned to %(team)s") % {"team": team.name}
    summary = _("SLA %(metric)s: %(what)s") % {"metric": timer.get_metric_display().lower(), "what": label}
    journal_add(record=problem, actor=actor, kind=JournalKind.SYSTEM, is_public=False, body=f"{summary} — {done}",
                data={"sla": {"metric": timer.metric, "percent": percent, "action": kind, **outcome}})
    return outcome


def _recipient(problem: Problem, action: dict):
    kind = action["kind"]
    if kind == ActionKind.NOTIFY_ASSIGNEE:
        return problem.assignee or problem.problem_manager
    if kind == ActionKind.NOTIFY_GROUP_LEAD:
        return problem.assignment_group.lead if problem.assignment_group_id else None
    return get_user_model().objects.filter(pk=action.get("user"), is_active=True).first()


def register() -> None:
    register_subject(SubjectType(name="problem", label=str(Problem._meta.verbose_name), model=Problem,
                                 facts=facts, states=states, act=act))
