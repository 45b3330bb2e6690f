"""Incidents are SLA subjects: their timers move in the same transaction as the incident, and
the escalation sweep records, notifies and journals each threshold once."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from incidents import services
from itsm.journal import journal_for
from itsm.models import DomainEvent
from itsm.services import system_actor
from slas import services as sla
from slas.choices import TimerState
from slas.models import Calendar, Timer
from tests.incidents.factories import make_incident, make_team_with, resolve

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def targets(db):
    system = system_actor()
    agreement = sla.agreement_create(actor=system, data={"name": "Standard", "valid_from": date(2020, 1, 1)})
    always = Calendar.objects.get(name="24×7")
    common = {"agreement": agreement, "calendar": always, "record_type": "incident", "pause_states": ["on_hold"]}
    return {
        "response": sla.target_create(actor=system, data={**common, "name": "Respond", "metric": "response",
                                                          "goal": H}),
        "resolution": sla.target_create(actor=system, data={**common, "name": "Resolve", "metric": "resolution",
                                                            "goal": 8 * H}),
        "p1": sla.target_create(actor=system, data={**common, "name": "Resolve P1", "metric": "resolution",
                                                    "goal": 2 * H, "priorities": [1]}),
    }


def timers(incident):
    return {t.metric: t for t in Timer.objects.filter(object_id=incident.pk)}


def test_logging_starts_both_clocks_and_the_first_response_stops_one(agent, targets):
    incident = make_incident(agent, impact=3, urgency=3)
    assert {m: t.state for m, t in timers(incident).items()} == {"response": "running", "resolution": "running"}

    services.incident_transition(actor=agent, incident=incident, name="start")

    clocks = timers(incident)
    assert clocks["response"].state == TimerState.MET
    assert clocks["resolution"].state == TimerState.RUNNING and clocks["resolution"].goal == 8 * H


def test_on_hold_pauses_with_its_reason_and_resolving_stops(agent, targets):
    incident = make_incident(agent)
    incident = services.incident_transition(actor=agent, incident=incident, name="hold",
                                            data={"on_hold_reason": "awaiting_vendor"})
    paused = timers(incident)["resolution"]
    assert (paused.state, paused.pause_reason, paused.due_at) == (TimerState.PAUSED, "Awaiting vendor", None)

    incident = services.incident_transition(actor=agent, incident=incident, name="resume")
    resolve(agent, incident)

    assert timers(incident)["resolution"].state == TimerState.MET
    assert [e.kind for e in timers(incident)["resolution"].events.all()] == ["start", "pause", "resume", "stop"]


def test_raising_the_priority_retargets_and_keeps_the_elapsed_time(agent, targets):
    incident = make_incident(agent, impact=3, urgency=3)

    incident = services.incident_update(actor=agent, incident=incident, data={"impact": 1, "urgency": 1})

    clock = timers(incident)["resolution"]
    assert clock.target == targets["p1"] and clock.goal == 2 * H
    assert clock.events.last().cause.endswith("P5 → P1 (agent)")


def test_cancelling_cancels_the_clocks(agent, targets):
    incident = make_incident(agent)
    services.incident_transition(actor=agent, incident=incident, name="cancel")

    assert {t.state for t in timers(incident).values()} == {TimerState.CANCELLED}


def test_the_sweep_notifies_the_assignee_once_and_journals_it(agent, targets):
    team = make_team_with(agent)
    incident = make_incident(agent, assignment_group=team, assignee=agent)

    later = timezone.now() + 1.5 * H  # the response clock (1 h) is breached; resolution (8 h) under 50 %
    sla.timers_sweep(now=later)
    sla.timers_sweep(now=later)

    escalated = DomainEvent.objects.filter(name="incident.sla_escalated", object_id=incident.pk)
    assert sorted((e.payload["metric"], e.payload["percent"]) for e in escalated) == [
        ("response", 50), ("response", 75), ("response", 90), ("response", 100)]
    assert {e.payload["recipient"] for e in escalated} == {agent.pk}
    assert timers(incident)["response"].state == TimerState.BREACHED
    # The breach also asks for the group lead; the team has none, and the timeline says so.
    sla_lines = [e.data["sla"] for e in journal_for(incident, agent) if "sla" in e.data]
    assert len(sla_lines) == 5
    assert {"metric": "response", "percent": 100, "action": "notify_group_lead", "notified": None} in sla_lines



def test_one_step_notifies_a_person_holding_two_of_its_recipient_roles_once(agent, targets):
    team = make_team_with(agent, lead=agent)  # the assignee is also the group's lead
    incident = make_incident(agent, assignment_group=team, assignee=agent)

    sla.timers_sweep(now=timezone.now() + 1.5 * H)  # the response clock breaches: notify assignee and lead

    breach = DomainEvent.objects.filter(name="incident.sla_escalated", object_id=incident.pk,
                                        payload__metric="response", payload__percent=100)
    assert [e.payload["recipient"] for e in breach] == [agent.pk]
    lines = [e.data["sla"] for e in journal_for(incident, agent) if e.data.get("sla", {}).get("percent") == 100
             and e.data["sla"]["metric"] == "response"]
    assert {"metric": "response", "percent": 100, "action": "notify_group_lead", "notified": None,
            "already_notified": agent.username} in lines


def test_an_sla_warning_reaches_the_assignee_by_email_in_their_language(agent, targets):
    from itsm.models import OutboxMessage

    agent.language, agent.time_zone = "zh-hans", "Asia/Shanghai"
    agent.save()
    team = make_team_with(agent)
    incident = make_incident(agent, assignment_group=team, assignee=agent)

    sla.timers_sweep(now=timezone.now() + 0.6 * H)  # 60 % of the one-hour response goal

    [message] = [m for m in OutboxMessage.objects.all() if "SLA" in m.payload.get("subject", "")]
    assert message.payload["to"] == [agent.email]
    assert message.payload["language"] == "zh-hans"
    assert message.payload["subject"].startswith(f"[{incident.number}] SLA 预警：已用去")
