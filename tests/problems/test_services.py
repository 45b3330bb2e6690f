"""Problem services: logging, workflow guards, incident links and the cascades they drive."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import services as incident_services
from incidents.choices import IncidentState, OnHoldReason
from itsm.exceptions import GuardFailed, NotPermitted
from itsm.journal import journal_for
from itsm.models import DomainEvent
from problems import services
from problems.choices import ProblemState
from problems.models import Problem, ProblemIncident
from tests.assertions import assert_nothing_written
from tests.incidents.factories import make_incident, resolve
from tests.problems.factories import make_problem, move, publish

pytestmark = pytest.mark.django_db


def test_a_problem_is_numbered_prioritised_and_has_history(agent):
    problem = make_problem(agent, impact=1, urgency=1)

    assert problem.number.startswith("PRB") and problem.priority == 1
    assert problem.state == ProblemState.NEW and problem.history.first().history_user == agent


def test_requesters_and_auditors_cannot_log_problems(requester, auditor):
    for actor in (requester, auditor):
        with pytest.raises(NotPermitted), assert_nothing_written(Problem):
            make_problem(actor)


def test_a_known_error_needs_a_root_cause_or_a_workaround(agent, problem_manager):
    problem = move(agent, make_problem(agent), "assess", "analyse")
    with pytest.raises(GuardFailed) as refused:
        services.problem_transition(actor=problem_manager, problem=problem, name="publish_known_error")
    assert "workaround" in refused.value.fields

    problem = services.problem_transition(actor=problem_manager, problem=problem, name="publish_known_error",
                                          data={"workaround": "Restart the relay."})
    assert problem.state == ProblemState.KNOWN_ERROR and problem.known_error_at is not None


def test_agents_investigate_but_only_problem_managers_decide(agent):
    problem = move(agent, make_problem(agent), "assess", "analyse")
    with pytest.raises(NotPermitted):
        services.problem_transition(actor=agent, problem=problem, name="publish_known_error",
                                    data={"workaround": "x"})


def test_open_tasks_block_resolution(agent, problem_manager):
    problem = make_problem(agent)
    task = services.problem_task_create(actor=agent, problem=problem, data={"short_description": "Read the logs"})
    with pytest.raises(GuardFailed) as refused:
        services.problem_transition(actor=problem_manager, problem=problem, name="resolve",
                                    data={"resolution_code": "fixed", "resolution_notes": "Patched."})
    assert "tasks" in refused.value.fields

    services.problem_task_finish(actor=agent, task=task, outcome="Socket leak in relay 2.1")
    problem = services.problem_transition(actor=problem_manager, problem=problem, name="resolve",
                                          data={"resolution_code": "fixed", "resolution_notes": "Patched."})
    assert problem.state == ProblemState.RESOLVED


def test_closing_waits_for_a_quiet_period_and_a_recurrence_reopens_the_question(agent, problem_manager, settings):
    settings.PROBLEM_QUIET_DAYS = 0
    incident = make_incident(agent)
    problem = services.problem_from_incidents(actor=agent, incidents=[incident])
    problem = move(problem_manager, problem, "resolve", resolution_code="fixed", resolution_notes="Patched.")
    recurrence = make_incident(agent)
    services.problem_link_incidents(actor=agent, problem=problem, incidents=[recurrence])
    with pytest.raises(GuardFailed):
        move(problem_manager, problem, "close")

    services.problem_unlink_incident(actor=agent, problem=problem, incident=recurrence)
    assert move(problem_manager, problem, "close").state == ProblemState.CLOSED


def test_linking_puts_incidents_on_hold_and_resolving_resumes_them(agent, problem_manager):
    first, second = make_incident(agent), make_incident(agent)
    problem = services.problem_from_incidents(actor=agent, incidents=[first, second], hold=True)
    first.refresh_from_db()
    assert (first.state, first.on_hold_reason) == (IncidentState.ON_HOLD, OnHoldReason.AWAITING_PROBLEM)

    problem = publish(problem_manager, problem)
    assert DomainEvent.objects.filter(name="problem.workaround_available", object_id=problem.pk).exists()
    move(problem_manager, problem, "resolve", resolution_code="fixed", resolution_notes="Relay upgraded.")
    first.refresh_from_db()
    assert first.state == IncidentState.IN_PROGRESS and first.on_hold_reason == ""


def test_resolving_can_resolve_the_waiting_incidents_with_the_problems_resolution(agent, problem_manager):
    incident = make_incident(agent)
    problem = services.problem_from_incidents(actor=agent, incidents=[incident], hold=True)
    services.problem_transition(actor=problem_manager, problem=problem, name="resolve", linked_incidents="resolve",
                                data={"resolution_code": "fixed", "resolution_notes": "Relay upgraded."})
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED and "Relay upgraded." in incident.resolution_notes


def test_an_incident_belongs_to_one_problem(agent):
    incident = make_incident(agent)
    services.problem_from_incidents(actor=agent, incidents=[incident])
    other = make_problem(agent)
    with pytest.raises(ValidationError), assert_nothing_written(ProblemIncident):
        services.problem_link_incidents(actor=agent, problem=other, incidents=[incident])


def test_a_major_incident_closes_only_with_a_problem_or_a_reason(agent, team_lead):
    incident = make_incident(agent)
    incident = incident_services.incident_promote_major(actor=team_lead, incident=incident, reason="All down")
    incident = resolve(agent, incident)
    with pytest.raises(GuardFailed) as refused:
        incident_services.incident_transition(actor=agent, incident=incident, name="close")
    assert "problem" in refused.value.fields

    services.major_incident_waive_problem(actor=agent, incident=incident, reason="Power cut by the utility.")
    closed = incident_services.incident_transition(actor=agent, incident=incident, name="close")
    assert closed.state == IncidentState.CLOSED


def test_applying_a_known_errors_workaround_comments_and_links_the_incident(agent, problem_manager):
    problem = publish(problem_manager, make_problem(agent))
    incident = make_incident(agent)
    link = services.known_error_apply(actor=agent, problem=problem, incident=incident, public=True)

    assert link.via_known_error and link.workaround_applied_at is not None
    assert any("Restart the mail relay." in entry.body and entry.is_public
               for entry in journal_for(incident, agent))
    assert ProblemIncident.objects.filter(problem=problem, incident=incident).exists()


def test_a_known_error_applies_only_with_a_workaround(agent):
    problem = make_problem(agent)
    with pytest.raises(ValidationError):
        services.known_error_apply(actor=agent, problem=problem, incident=make_incident(agent))


def test_resolving_records_the_instant(agent, problem_manager):
    before = timezone.now() - timedelta(seconds=1)
    problem = move(problem_manager, make_problem(agent), "resolve", resolution_code="fixed", resolution_notes="x")
    assert problem.resolved_at > before
