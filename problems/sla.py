"""Problems as SLA subjects: what the engine reads of a problem, and how it escalates one.

Registered in ProblemsConfig.ready(); the slas app never imports problems. A problem's
"response" is its root cause found (time to root cause), its "resolution" its resolution.
"""

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from itsm.choices import JournalKind
from itsm.events import emit
from itsm.journal import journal_add
from itsm.models import DomainEvent, Team
from itsm.services import system_actor
from slas.choices import BREACH, ActionKind
from slas.recipients import NOTIFY_KINDS, recipients
from slas.registry import Facts, SubjectType, register_subject

from .choices import ProblemState
from .models import Problem


def facts(problem: Problem) -> Facts:
    return Facts(
        customer_id=None, service_id=problem.service_id, priority=problem.priority,
        team_id=problem.assignment_group_id, state=problem.state, state_label=str(problem.get_state_display()),
        opened_at=problem.opened_at, responded_at=problem.root_cause_found_at,
        resolved_at=problem.resolved_at if problem.state in (ProblemState.RESOLVED, ProblemState.CLOSED) else None,
        cancelled=problem.state == ProblemState.CANCELLED, assignee_id=problem.assignee_id,
    )


def states() -> list[tuple[str, str]]:
    return list(ProblemState.choices)


def act(problem: Problem, action: dict, timer, percent: int) -> dict:
    """Perform one escalation action for `problem` (inside the sweep's transaction)."""
    from . import services

    kind, actor = action["kind"], system_actor()
    label = _("breached") if percent == BREACH else _("%(percent)s %% of the goal used") % {"percent": percent}
    outcome, done = {}, _("nothing to do")
    if kind in NOTIFY_KINDS:
        outcome, done = _notify(problem, action, timer, percent, actor)
    elif kind == ActionKind.RAISE_PRIORITY and problem.is_open and problem.urgency > 1:
        services.problem_update(actor=actor, problem=problem, data={"urgency": problem.urgency - 1},
                                reason=f"SLA escalation ({percent} %)")
        outcome, done = {"urgency": problem.urgency - 1}, _("urgency raised")
    elif kind == ActionKind.REASSIGN and problem.is_open:
        team = Team.objects.filter(pk=action.get("team"), is_active=True).first()
        if team is not None and team.pk != problem.assignment_group_id:
            services.problem_assign(actor=actor, problem=problem, group=team, reason=f"SLA escalation ({percent} %)")
            outcome, done = {"reassigned_to": team.name}, _("reassigned to %(team)s") % {"team": team.name}
    summary = _sla_summary(timer, label)
    journal_add(record=problem, actor=actor, kind=JournalKind.SYSTEM, is_public=False, body=f"{summary} — {done}",
                data={"sla": {"metric": timer.metric, "percent": percent, "action": kind, **outcome}})
    return outcome


def _notify(problem: Problem, action: dict, timer, percent: int, actor) -> tuple[dict, str]:
    """Tell the people the action names (slas.recipients; the assignee, else the problem
    manager), each once per step of the timer."""
    ci_ids = list(problem.cis.values_list("pk", flat=True)) if action["kind"] == ActionKind.NOTIFY_CI_OWNERS else []
    people = recipients(action, assignee=problem.assignee or problem.problem_manager, group=problem.assignment_group,
                        service=problem.service, ci_ids=ci_ids)
    told = [user for user in people if not _already_notified(problem, timer, percent, user)]
    for user in told:
        emit("problem.sla_escalated", record=problem, actor=actor, payload={
            "recipient": user.pk, "metric": timer.metric, "percent": percent, "timer": timer.pk})
    outcome = {"notified": ", ".join(user.username for user in told) or None}
    done = (_("notified %(name)s") % {"name": ", ".join(str(user) for user in told)}) if told \
        else _("nobody to notify")
    return outcome, done


def _sla_summary(timer, label: str) -> str:
    """"SLA resolution: breached", or for an assignment group's timer "OLA resolution of Network: …"."""
    if getattr(timer, "ola_team_id", None):
        return _("OLA %(metric)s of %(team)s: %(what)s") % {
            "metric": timer.get_metric_display().lower(), "team": timer.ola_team.name, "what": label}
    return _("SLA %(metric)s: %(what)s") % {"metric": timer.get_metric_display().lower(), "what": label}


def _already_notified(problem: Problem, timer, percent: int, user) -> bool:
    return DomainEvent.objects.filter(
        name="problem.sla_escalated", content_type=ContentType.objects.get_for_model(Problem),
        object_id=problem.pk, payload__timer=timer.pk, payload__percent=percent, payload__recipient=user.pk,
    ).exists()


def register() -> None:
    register_subject(SubjectType(name="problem", label=str(Problem._meta.verbose_name), model=Problem,
                                 facts=facts, states=states, act=act))
