"""The incident lifecycle: steps, guards, reopen window, cascade to children, auto-close."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.choices import IncidentState
from incidents.models import Incident
from incidents.tasks import close_resolved_incidents
from itsm.exceptions import GuardFailed, NotPermitted, TransitionNotAllowed
from itsm.journal import journal_for
from tests.incidents.factories import make_incident, resolve

pytestmark = pytest.mark.django_db


def step(actor, incident, name, **data):
    return services.incident_transition(actor=actor, incident=incident, name=name, data=data)


def test_the_service_desk_walks_an_incident_to_closure(agent):
    incident = make_incident(agent)

    incident = step(agent, incident, "start")
    assert incident.first_response_at is not None
    incident = step(agent, incident, "hold", on_hold_reason="awaiting_vendor")
    assert (incident.state, incident.on_hold_reason) == (IncidentState.ON_HOLD, "awaiting_vendor")
    incident = step(agent, incident, "resume")
    assert (incident.state, incident.on_hold_reason) == (IncidentState.IN_PROGRESS, "")
    incident = resolve(agent, incident)
    assert incident.resolved_at is not None and incident.resolution_code == "solved_permanently"
    incident = step(agent, incident, "close")

    assert incident.state == IncidentState.CLOSED and incident.closed_at is not None
    states = [e.data["to"] for e in journal_for(incident, agent).filter(kind="state_change")]
    assert states == ["in_progress", "on_hold", "in_progress", "resolved", "closed"]


def test_on_hold_needs_a_reason(agent):
    incident = make_incident(agent)

    with pytest.raises(GuardFailed) as error:
        step(agent, incident, "hold")

    assert "on_hold_reason" in error.value.fields
    incident.refresh_from_db()
    assert incident.state == IncidentState.NEW


def test_resolving_needs_a_code_and_notes(agent):
    incident = make_incident(agent)

    with pytest.raises(GuardFailed) as error:
        step(agent, incident, "resolve", resolution_code="solved_permanently")

    assert set(error.value.fields) == {"resolution_notes"}


@pytest.mark.parametrize("final_step", ["close", "cancel"])
def test_closed_and_cancelled_are_final(agent, final_step):
    incident = make_incident(agent)
    if final_step == "close":
        incident = step(agent, resolve(agent, incident), "close")
    else:
        incident = step(agent, incident, "cancel")

    for name in ("start", "reopen", "resolve", "cancel"):
        with pytest.raises(TransitionNotAllowed):
            step(agent, incident, name, resolution_code="x", resolution_notes="y")


def test_the_caller_confirms_a_resolution(agent, requester):
    incident = resolve(agent, make_incident(agent, caller=requester))

    incident = step(requester, incident, "confirm")

    assert incident.state == IncidentState.CLOSED


def test_the_caller_reopens_within_the_window_and_the_count_goes_up(agent, requester):
    incident = resolve(agent, make_incident(agent, caller=requester))

    incident = step(requester, incident, "reopen")

    assert incident.state == IncidentState.IN_PROGRESS
    assert incident.reopen_count == 1 and incident.resolved_at is None


def test_reopening_after_the_window_is_refused(agent, requester, settings):
    settings.INCIDENT_REOPEN_DAYS = 7
    incident = resolve(agent, make_incident(agent, caller=requester))
    Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now() - timedelta(days=8))

    with pytest.raises(GuardFailed):
        step(requester, incident, "reopen")


def test_a_requester_cannot_work_incidents_or_touch_others(agent, requester, make_user):
    mine = make_incident(agent, caller=requester)
    theirs = resolve(agent, make_incident(agent, caller=make_user("requester", username="someone")))

    with pytest.raises(NotPermitted):
        step(requester, mine, "start")
    with pytest.raises(NotPermitted):
        step(requester, theirs, "confirm")


def test_resolving_a_parent_resolves_its_open_children(agent):
    parent = make_incident(agent, short_description="Mass outage")
    open_child = make_incident(agent, parent=parent)
    cancelled_child = make_incident(agent, parent=parent)
    step(agent, cancelled_child, "cancel")

    resolve(agent, parent, code="solved_workaround", notes="Failed over")

    open_child.refresh_from_db()
    cancelled_child.refresh_from_db()
    assert open_child.state == IncidentState.RESOLVED
    assert (open_child.resolution_code, open_child.resolution_notes) == ("solved_workaround", "Failed over")
    assert cancelled_child.state == IncidentState.CANCELLED
    entry = journal_for(open_child, agent).filter(kind="state_change").last()
    assert entry.body == f"Resolved with parent incident {parent.number}"


def test_resolved_incidents_close_themselves_after_the_configured_days(agent, settings):
    settings.INCIDENT_AUTO_CLOSE_DAYS = 3
    old, recent = resolve(agent, make_incident(agent)), resolve(agent, make_incident(agent))
    Incident.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=3, minutes=1))

    assert close_resolved_incidents() == 1
    assert close_resolved_incidents() == 0  # running it again changes nothing

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.state == IncidentState.CLOSED and recent.state == IncidentState.RESOLVED
    last = old.history.first()
    assert last.history_user.username == "system"
    assert last.history_change_reason == "Closed automatically 3 days after resolution"
