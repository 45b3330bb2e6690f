"""Incidents and problems: links (owned here; incidents never import problems), problems made
from incidents, and the rule that a major incident closes only with a problem or a reason."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.choices import IncidentState, OnHoldReason
from incidents.models import Incident
from incidents.services import incident_transition
from incidents.workflow import INCIDENT_WORKERS
from itsm.choices import JournalKind
from itsm.events import emit
from itsm.journal import journal_add
from itsm.permissions import require

from ..choices import ProblemSource
from ..models import Problem, ProblemIncident, ProblemWaiver
from ..workflow import PROBLEM_MANAGERS, PROBLEM_WORKERS
from .common import incident_actor, refuse_final
from .records import problem_create

HOLDABLE = (IncidentState.NEW, IncidentState.IN_PROGRESS)
OPEN_INCIDENT = (IncidentState.NEW, IncidentState.IN_PROGRESS, IncidentState.ON_HOLD)


@transaction.atomic
def problem_link_incidents(*, actor, problem: Problem, incidents, hold: bool = False,
                           via_known_error: bool = False) -> list[ProblemIncident]:
    """Link incidents to the problem (an incident belongs to one problem at most; linking it
    again to the same one changes nothing). `hold`: put open incidents on hold "awaiting
    problem" so that resolving the problem resumes them. Journal entries on both sides, event
    `problem.incidents_linked`. Returns the new links."""
    require(actor, PROBLEM_WORKERS)
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    refuse_final(problem)
    pks = sorted({incident.pk for incident in incidents})
    if not pks:
        raise ValidationError({"incidents": _("Choose at least one incident.")})
    locked = list(Incident.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
    existing = {link.incident_id: link for link in ProblemIncident.objects.filter(incident_id__in=pks)
                .select_related("problem")}
    elsewhere = [link for link in existing.values() if link.problem_id != problem.pk]
    if elsewhere:
        raise ValidationError({"incidents": _("Already linked to another problem: %(list)s.") % {
            "list": ", ".join(f"{_number(locked, link.incident_id)} → {link.problem.number}"
                              for link in elsewhere)}})
    now, created = timezone.now(), []
    for incident in locked:
        if incident.pk in existing:
            continue
        link = ProblemIncident.objects.create(problem=problem, incident=incident, linked_at=now, linked_by=actor,
                                              via_known_error=via_known_error)
        _journal_link(problem, incident, actor, linked=True)
        if hold:
            _hold(link, actor)
        created.append(link)
    if created:
        emit("problem.incidents_linked", record=problem, actor=actor,
             payload={"incidents": [link.incident_id for link in created], "hold": hold})
    return created


def _number(incidents, pk) -> str:
    return next((incident.number for incident in incidents if incident.pk == pk), str(pk))


def _hold(link: ProblemIncident, actor) -> None:
    incident = link.incident
    if incident.state in HOLDABLE:
        incident_transition(actor=incident_actor(actor), incident=incident, name="hold",
                            data={"on_hold_reason": OnHoldReason.AWAITING_PROBLEM},
                            reason=_("Awaiting problem %(number)s") % {"number": link.problem.number})
    elif not (incident.state == IncidentState.ON_HOLD and incident.on_hold_reason == OnHoldReason.AWAITING_PROBLEM):
        return  # closed, resolved or waiting on something else: nothing to resume later
    link.waiting = True
    link.save(update_fields=["waiting"])


@transaction.atomic
def problem_unlink_incident(*, actor, problem: Problem, incident: Incident) -> None:
    """Unlink an incident; one waiting on the problem is resumed."""
    require(actor, PROBLEM_WORKERS)
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    refuse_final(problem)
    link = ProblemIncident.objects.select_for_update().filter(problem=problem, incident=incident).first()
    if link is None:
        raise ValidationError({"incident": _("%(incident)s is not linked to %(problem)s.") % {
            "incident": incident.number, "problem": problem.number}})
    incident = Incident.objects.get(pk=incident.pk)
    waiting = link.waiting and incident.state == IncidentState.ON_HOLD \
        and incident.on_hold_reason == OnHoldReason.AWAITING_PROBLEM
    link.delete()
    _journal_link(problem, incident, actor, linked=False)
    if waiting:
        incident_transition(actor=incident_actor(actor), incident=incident, name="resume",
                            reason=_("Unlinked from problem %(number)s") % {"number": problem.number})
    emit("problem.incident_unlinked", record=problem, actor=actor, payload={"incident": incident.pk})


def _journal_link(problem: Problem, incident: Incident, actor, *, linked: bool) -> None:
    if linked:
        on_problem = _("Incident %(incident)s linked") % {"incident": incident.number}
        on_incident = _("Linked to problem %(problem)s") % {"problem": problem.number}
    else:
        on_problem = _("Incident %(incident)s unlinked") % {"incident": incident.number}
        on_incident = _("Unlinked from problem %(problem)s") % {"problem": problem.number}
    data = {"problem_link": {"problem": problem.pk, "incident": incident.pk, "linked": linked}}
    journal_add(record=problem, actor=actor, kind=JournalKind.SYSTEM, is_public=False, body=on_problem, data=data)
    journal_add(record=incident, actor=actor, kind=JournalKind.SYSTEM, is_public=False, body=on_incident, data=data)


@transaction.atomic
def problem_from_incidents(*, actor, incidents, data: dict | None = None, hold: bool = False) -> Problem:
    """A problem made from one or more incidents, their fields carried over (the first
    incident's text, service and category, the highest impact and urgency, every CI), linked."""
    require(actor, PROBLEM_WORKERS)
    incidents = sorted(incidents, key=lambda incident: (not incident.is_major, incident.pk))
    if not incidents:
        raise ValidationError({"incidents": _("Choose at least one incident.")})
    first = incidents[0]
    carried = {
        "short_description": first.short_description, "description": first.description,
        "service": first.service, "category": first.category if first.category_id else None,
        "impact": min(incident.impact for incident in incidents),
        "urgency": min(incident.urgency for incident in incidents),
        "cis": sorted({ci for incident in incidents for ci in incident.cis.all()}, key=lambda ci: ci.pk),
        "source": ProblemSource.MAJOR_INCIDENT if first.is_major else ProblemSource.RECURRING_INCIDENTS,
    }
    if carried["category"] is not None and not carried["category"].is_active:
        carried["category"] = None
    problem = problem_create(actor=actor, data={**carried, **(data or {})},
                             reason=_("created from %(numbers)s") % {
                                 "numbers": ", ".join(incident.number for incident in incidents)})
    problem_link_incidents(actor=actor, problem=problem, incidents=incidents, hold=hold)
    return problem


@transaction.atomic
def major_incident_waive_problem(*, actor, incident: Incident, reason: str) -> ProblemWaiver:
    """Record why a major incident needs no problem, so that it may close without one."""
    require(actor, (*INCIDENT_WORKERS, *PROBLEM_MANAGERS))
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not incident.is_major:
        raise ValidationError({"incident": _("%(number)s is not a major incident.") % {"number": incident.number}})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why no problem is needed.")})
    if ProblemWaiver.objects.filter(incident=incident).exists():
        raise ValidationError({"reason": _("A reason is already recorded for %(number)s.") % {
            "number": incident.number}})
    waiver = ProblemWaiver.objects.create(incident=incident, reason=reason.strip(), recorded_at=timezone.now(),
                                          recorded_by=actor)
    journal_add(record=incident, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                body=_("No problem needed: %(reason)s") % {"reason": waiver.reason},
                data={"problem_waiver": waiver.pk})
    emit("incident.problem_waived", record=incident, actor=actor, payload={"reason": waiver.reason})
    return waiver


def major_incident_close_check(incident, data) -> dict:
    """Registered with incidents.workflow.register_close_check: a major incident closes only with
    a linked problem or a recorded reason why none is needed (the evidence auditors sample)."""
    if not incident.is_major:
        return {}
    if ProblemIncident.objects.filter(incident_id=incident.pk).exists() or \
            ProblemWaiver.objects.filter(incident_id=incident.pk).exists():
        return {}
    return {"problem": _("A major incident closes only with a linked problem, or a recorded reason why none "
                         "is needed.")}
