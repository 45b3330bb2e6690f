"""A problem's state: workflow steps and what they do to the incidents linked to it.

Publishing a known error offers its workaround to every linked open incident (event
`problem.workaround_available`, notifications to their assignees); resolving resumes the
incidents waiting on the problem or, as the person chooses, resolves them with the problem's
resolution, each through the incident services (history, notifications, SLA clocks).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from incidents.choices import IncidentState, OnHoldReason, ResolutionCode
from incidents.services import incident_transition
from itsm.events import emit
from itsm.permissions import require
from itsm.workflow import transition_apply

from ..choices import LinkedIncidentsOnResolve, ProblemResolutionCode, ProblemState
from ..models import Problem
from ..workflow import PROBLEM_WORKERS
from .common import incident_actor, sync_clocks

# The incident resolution code that a problem's resolution carries over.
INCIDENT_CODE = {
    ProblemResolutionCode.FIXED: ResolutionCode.SOLVED_PERMANENTLY,
    ProblemResolutionCode.WORKAROUND_ACCEPTED: ResolutionCode.SOLVED_WORKAROUND,
    ProblemResolutionCode.RISK_ACCEPTED: ResolutionCode.SOLVED_WORKAROUND,
    ProblemResolutionCode.NOT_REPRODUCIBLE: ResolutionCode.NOT_REPRODUCIBLE,
    ProblemResolutionCode.DUPLICATE: ResolutionCode.DUPLICATE,
}


def problem_transition(*, actor, problem: Problem, name: str, data: dict | None = None, reason: str = "",
                       expected_version: int | None = None,
                       linked_incidents: str = LinkedIncidentsOnResolve.RESUME) -> Problem:
    """Move the problem through workflow step `name` (see problems.workflow). `linked_incidents`
    (on "resolve"): resume, resolve or leave the open incidents waiting on it.
    Raises TransitionNotAllowed, GuardFailed, NotPermitted, StaleRecord, ValidationError."""
    require(actor, PROBLEM_WORKERS)
    if linked_incidents not in LinkedIncidentsOnResolve.values:
        raise ValidationError({"linked_incidents": _("Choose resume, resolve or leave.")})
    with transaction.atomic():
        record = transition_apply(actor=actor, record=problem, name=name, data=data or {}, reason=reason,
                                  expected_version=expected_version)
        sync_clocks(record, actor, f"{name} → {record.get_state_display()}")
        if record.state == ProblemState.KNOWN_ERROR and name == "publish_known_error":
            _offer_workaround(record, actor)
        if name == "resolve":
            _settle_waiting_incidents(record, actor, linked_incidents)
    return record


def open_linked_incidents(problem: Problem):
    return problem.incident_links.filter(
        incident__state__in=[s.value for s in (IncidentState.NEW, IncidentState.IN_PROGRESS, IncidentState.ON_HOLD)],
    ).select_related("incident").order_by("incident_id")


def _offer_workaround(problem: Problem, actor) -> None:
    incidents = [link.incident_id for link in open_linked_incidents(problem)]
    if problem.workaround.strip() and incidents:
        emit("problem.workaround_available", record=problem, actor=actor, payload={"incidents": incidents})


def _settle_waiting_incidents(problem: Problem, actor, choice: str) -> None:
    """Resume (or resolve) each linked incident still on hold awaiting this problem."""
    links = [link for link in open_linked_incidents(problem)
             if link.waiting and link.incident.state == IncidentState.ON_HOLD
             and link.incident.on_hold_reason == OnHoldReason.AWAITING_PROBLEM]
    emit("problem.resolved", record=problem, actor=actor,
         payload={"incidents": [link.incident_id for link in open_linked_incidents(problem)], "choice": choice})
    if choice == LinkedIncidentsOnResolve.LEAVE:
        return
    who = incident_actor(actor)
    for link in links:
        reason = _("%(number)s resolved by %(person)s") % {"number": problem.number, "person": actor}
        if choice == LinkedIncidentsOnResolve.RESOLVE:
            notes = _("Resolved with problem %(number)s: %(notes)s") % {
                "number": problem.number, "notes": problem.resolution_notes}
            incident_transition(actor=who, incident=link.incident, name="resolve", reason=reason, data={
                "resolution_code": INCIDENT_CODE.get(problem.resolution_code, ResolutionCode.SOLVED_PERMANENTLY),
                "resolution_notes": notes})
        else:
            incident_transition(actor=who, incident=link.incident, name="resume", reason=reason)
