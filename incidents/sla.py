"""Incidents as SLA subjects: what the engine reads of an incident, and how it escalates one.

Registered in IncidentsConfig.ready(); the slas app never imports incidents. The services of
this app call `slas.services.timers_sync` in the transaction of every change that can move a
clock (see incidents.services.common._sync_clocks).
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

from .choices import IncidentState, OnHoldReason
from .models import Incident


def facts(incident: Incident) -> Facts:
    return Facts(
        customer_id=incident.customer_id, service_id=incident.service_id, priority=incident.priority,
        team_id=incident.assignment_group_id, state=incident.state, state_label=_pause_label(incident),
        opened_at=incident.opened_at, responded_at=incident.first_response_at,
        # A closed incident was resolved first; the resolution instant stops the clock.
        resolved_at=incident.resolved_at if incident.state in (IncidentState.RESOLVED, IncidentState.CLOSED) else None,
        cancelled=incident.state == IncidentState.CANCELLED,
        state_reason=incident.on_hold_reason if incident.state == IncidentState.ON_HOLD else "",
        assignee_id=incident.assignee_id,
    )


def _pause_label(incident: Incident) -> str:
    if incident.state == IncidentState.ON_HOLD and incident.on_hold_reason:
        return str(incident.get_on_hold_reason_display())
    return str(incident.get_state_display())


def states() -> list[tuple[str, str]]:
    return list(IncidentState.choices)


def reasons() -> list[tuple[str, str, str]]:
    """An incident on hold has a reason: a target may pause for some reasons only."""
    return [(IncidentState.ON_HOLD.value, value, str(label)) for value, label in OnHoldReason.choices]


def act(incident: Incident, action: dict, timer, percent: int) -> dict:
    """Perform one escalation action for `incident` (inside the sweep's transaction)."""
    from . import services

    kind = action["kind"]
    actor = system_actor()
    label = _("breached") if percent == BREACH else _("%(percent)s %% of the goal used") % {"percent": percent}
    summary = _sla_summary(timer, label)
    outcome: dict = {}
    done = _("nothing to do")
    if kind in NOTIFY_KINDS:
        outcome, done = _notify(incident, action, timer, percent, actor)
    elif kind == ActionKind.RAISE_PRIORITY and incident.is_open and incident.urgency > 1:
        services.incident_update(actor=actor, incident=incident, data={"urgency": incident.urgency - 1},
                                 reason=f"SLA escalation ({percent} %)")
        outcome = {"urgency": incident.urgency - 1}
        done = _("urgency raised")
    elif kind == ActionKind.REASSIGN and incident.is_open:
        team = Team.objects.filter(pk=action.get("team"), is_active=True).first()
        if team is not None and team.pk != incident.assignment_group_id:
            services.incident_assign(actor=actor, incident=incident, group=team, reason=f"SLA escalation ({percent} %)")
            outcome = {"reassigned_to": team.name}
            done = _("reassigned to %(team)s") % {"team": team.name}
    journal_add(record=incident, actor=actor, kind=JournalKind.SYSTEM, is_public=False, body=f"{summary} — {done}",
                data={"sla": {"metric": timer.metric, "percent": percent, "action": kind, **outcome}})
    return outcome


def _sla_summary(timer, label: str) -> str:
    """"SLA resolution: breached", or for an assignment group's timer "OLA resolution of Network: …"."""
    if getattr(timer, "ola_team_id", None):
        return _("OLA %(metric)s of %(team)s: %(what)s") % {
            "metric": timer.get_metric_display().lower(), "team": timer.ola_team.name, "what": label}
    return _("SLA %(metric)s: %(what)s") % {"metric": timer.get_metric_display().lower(), "what": label}


def _already_notified(incident: Incident, timer, percent: int, user) -> bool:
    """Whether this step of this timer has already notified `user` (by another of its actions)."""
    return DomainEvent.objects.filter(
        name="incident.sla_escalated", content_type=ContentType.objects.get_for_model(Incident),
        object_id=incident.pk, payload__timer=timer.pk, payload__percent=percent, payload__recipient=user.pk,
    ).exists()


def _notify(incident: Incident, action: dict, timer, percent: int, actor) -> tuple[dict, str]:
    """Tell the people the action names (slas.recipients), each once per step of the timer: an
    assignee who is also the group's lead (or a CI's owner) is told once. Outcome: the usernames
    notified and those already notified by another action of the step (comma-separated)."""
    people = recipients(action, assignee=incident.assignee, group=incident.assignment_group,
                        service=incident.service, ci_ids=_ci_ids(incident, action))
    told, skipped = [], []
    for user in people:
        if _already_notified(incident, timer, percent, user):
            skipped.append(user)
            continue
        payload = {"recipient": user.pk, "metric": timer.metric, "percent": percent, "due_at": _iso(timer.due_at),
                   "timer": timer.pk}
        if getattr(timer, "ola_team_id", None):  # an assignment group's timer, not the customer's
            payload["ola_team"] = timer.ola_team.name
        emit("incident.sla_escalated", record=incident, actor=actor, payload=payload)
        told.append(user)
    outcome = {"notified": ", ".join(u.username for u in told) or None}
    if skipped:
        outcome["already_notified"] = ", ".join(u.username for u in skipped)
    if told:
        done = _("notified %(name)s") % {"name": ", ".join(str(u) for u in told)}
    elif skipped:
        done = _("%(name)s already notified") % {"name": ", ".join(str(u) for u in skipped)}
    else:
        done = _("nobody to notify")
    return outcome, done


def _ci_ids(incident: Incident, action: dict) -> list[int]:
    if action["kind"] != ActionKind.NOTIFY_CI_OWNERS:
        return []
    return list(incident.cis.values_list("pk", flat=True))


def _iso(instant) -> str | None:
    return instant.isoformat() if instant else None


def register() -> None:
    register_subject(SubjectType(name="incident", label=str(Incident._meta.verbose_name), model=Incident,
                                 facts=facts, states=states, act=act, reasons=reasons))
