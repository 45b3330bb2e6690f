"""manage.py demo_data loads a dozen problems in every state, linked to the demo incidents, three
known errors the demo incidents match, trend proposals, and closes the old major incident with
its problem; a second run adds nothing."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.test import override_settings
from django.utils import timezone

from incidents.choices import OPEN_STATES, IncidentState
from incidents.models import Incident
from itsm.models import DomainEvent, JournalEntry
from problems.choices import ProblemSource, ProblemState, ProposalState, TaskState
from problems.demo import CERTIFICATE, MAJOR
from problems.models import Problem, ProblemIncident, ProblemTask, TrendProposal

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The whole demo, loaded once for the module in a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True):
            call_command("demo_data", verbosity=0)
        yield
        transaction.set_rollback(True)


def _cis(problem) -> set[int]:
    return set(problem.cis.values_list("pk", flat=True))


def test_a_dozen_problems_in_every_state_with_linked_demo_incidents(demo):
    problems = Problem.objects.all()
    assert 10 <= problems.count() <= 14
    assert set(problems.values_list("state", flat=True)) == set(ProblemState.values)
    assert ProblemIncident.objects.count() >= 30
    linked = Problem.objects.filter(incident_links__isnull=False).distinct().count()
    assert linked >= 9
    assert set(problems.values_list("source", flat=True)) >= {
        ProblemSource.MAJOR_INCIDENT, ProblemSource.RECURRING_INCIDENTS, ProblemSource.PROACTIVE}
    assert problems.filter(problem_manager__username="problemmgr").count() == problems.count()


def test_three_known_errors_share_a_ci_or_service_with_open_demo_incidents(demo):
    known_errors = Problem.objects.filter(state=ProblemState.KNOWN_ERROR)
    assert known_errors.count() == 3
    for problem in known_errors:
        assert problem.workaround and problem.root_cause and problem.known_error_at
        shares = Q(cis__in=_cis(problem))
        if problem.service_id:
            shares |= Q(service_id=problem.service_id)
        assert Incident.objects.filter(shares, state__in=OPEN_STATES).exists(), problem  # so it is suggested
    # their workaround was applied to incidents that came later, which needed no investigation
    assert ProblemIncident.objects.filter(problem__in=known_errors, workaround_applied_at__isnull=False).exists()
    assert ProblemIncident.objects.filter(problem__in=known_errors, via_known_error=True).count() >= 5


def test_a_known_error_without_a_fix_for_long_is_stale(demo, settings):
    stale = timezone.now() - timedelta(days=settings.KNOWN_ERROR_STALE_DAYS)
    assert Problem.objects.filter(state=ProblemState.KNOWN_ERROR, known_error_at__lt=stale, fix="").count() == 1


def test_the_old_major_incident_is_closed_with_its_problem(demo):
    major = Incident.objects.get(short_description=MAJOR, is_major=True)
    problem = Problem.objects.get(short_description=CERTIFICATE)

    assert major.state == IncidentState.CLOSED
    assert major.closed_at == major.resolved_at + timedelta(days=3)
    assert major.problem_link.problem == problem
    assert problem.source == ProblemSource.MAJOR_INCIDENT and problem.state == ProblemState.CLOSED
    assert problem.root_cause and problem.workaround and problem.fix and problem.resolution_code == "fixed"
    assert set(problem.incident_links.values_list("incident", flat=True)) == {
        major.pk, *major.children.values_list("pk", flat=True)}
    assert Incident.objects.filter(is_major=True, state=IncidentState.IN_PROGRESS).get().problem_link.problem.state \
        == ProblemState.ROOT_CAUSE_ANALYSIS  # the open outage is being investigated


def test_a_resolved_problem_resumed_the_incidents_that_waited_on_it(demo):
    problem = Problem.objects.get(state=ProblemState.RESOLVED)
    waited = problem.incident_links.filter(waiting=True)

    assert waited.count() >= 1
    for link in waited.select_related("incident"):
        assert link.incident.state == IncidentState.IN_PROGRESS and link.incident.on_hold_reason == ""
    assert DomainEvent.objects.filter(name="problem.resolved", object_id=problem.pk).exists()


def test_investigation_tasks_open_and_done_and_none_open_on_resolved_problems(demo):
    tasks = ProblemTask.objects.all()
    assert tasks.filter(state=TaskState.OPEN).count() >= 2 and tasks.filter(state=TaskState.DONE).count() >= 4
    assert not tasks.filter(state=TaskState.OPEN, problem__state__in=[ProblemState.RESOLVED,
                                                                      ProblemState.CLOSED]).exists()
    assert all(task.outcome for task in tasks.filter(state=TaskState.DONE))


def test_trend_detection_proposes_the_recurring_incidents_left_unlinked(demo):
    pending = TrendProposal.objects.filter(state=ProposalState.PENDING)
    assert pending.exists()
    proposed = set(pending.values_list("incidents", flat=True))
    assert not ProblemIncident.objects.filter(incident__in=proposed).exists()


def test_instants_lie_in_the_past_in_the_order_of_the_workflow(demo):
    now = timezone.now()
    for problem in Problem.objects.all():
        steps = [problem.opened_at, problem.root_cause_found_at, problem.known_error_at, problem.resolved_at,
                 problem.closed_at]
        reached = [instant for instant in steps if instant is not None]
        assert reached == sorted(reached) and reached[-1] < now, problem
        assert problem.created_at == problem.opened_at
        dates = list(problem.history.order_by("history_id").values_list("history_date", flat=True))
        assert dates == sorted(dates) and dates[0] == problem.opened_at and dates[-1] == problem.updated_at
    for link in ProblemIncident.objects.select_related("incident"):
        assert link.incident.opened_at < link.linked_at < now


def _snapshot():
    return (Problem.objects.count(), Problem.history.count(), ProblemIncident.objects.count(),
            ProblemTask.objects.count(), TrendProposal.objects.count(),
            JournalEntry.objects.filter(content_type__model="problem").count(),
            DomainEvent.objects.filter(name__startswith="problem.").count())


def test_a_second_run_adds_nothing(demo, settings):
    settings.DEBUG = True
    before = _snapshot()

    call_command("demo_data", verbosity=0)

    assert _snapshot() == before
