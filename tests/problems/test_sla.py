"""Problems are SLA subjects (through the engine's registry; slas never imports problems): time
to root cause is a problem's response, its resolution the resolution; escalation notifies."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from itsm.models import DomainEvent
from itsm.services import system_actor
from problems import services
from slas import services as sla
from slas.choices import TimerState
from slas.models import Calendar, Timer
from tests.incidents.factories import make_team_with
from tests.problems.factories import make_problem, move

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def problem_targets(db):
    system = system_actor()
    agreement = sla.agreement_create(actor=system, data={"name": "Problems", "valid_from": date(2020, 1, 1)})
    common = {"agreement": agreement, "calendar": Calendar.objects.get(name="24×7"), "record_type": "problem"}
    sla.target_create(actor=system, data={**common, "name": "Root cause in 2 days", "metric": "response",
                                          "goal": 48 * H})
    sla.target_create(actor=system, data={**common, "name": "Resolve in 10 days", "metric": "resolution",
                                          "goal": 240 * H})


def timers(problem):
    return {t.metric: t for t in Timer.objects.filter(object_id=problem.pk, content_type__model="problem")}


def test_finding_the_root_cause_meets_the_response_and_resolving_the_resolution(agent, problem_manager,
                                                                                problem_targets):
    problem = make_problem(agent)
    assert {m: t.state for m, t in timers(problem).items()} == {"response": "running", "resolution": "running"}

    problem = services.problem_update(actor=agent, problem=problem, data={"root_cause": "A leaking socket pool."})
    assert timers(problem)["response"].state == TimerState.MET

    move(problem_manager, problem, "resolve", resolution_code="fixed", resolution_notes="Pool patched.")
    assert timers(problem)["resolution"].state == TimerState.MET


def test_a_breached_time_to_root_cause_notifies_the_assignee(agent, problem_targets):
    team = make_team_with(agent)
    problem = make_problem(agent, assignment_group=team, assignee=agent)

    sla.timers_sweep(now=timezone.now() + 49 * H)

    assert timers(problem)["response"].state == TimerState.BREACHED
    assert DomainEvent.objects.filter(name="problem.sla_escalated", object_id=problem.pk,
                                      payload__recipient=agent.pk, payload__percent=100).exists()
