"""Trend detection: recurring incidents proposed as problems, accepted or dismissed by a problem manager."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from incidents.models import Category
from itsm.exceptions import NotPermitted, TransitionNotAllowed
from problems import services, tasks
from problems.choices import ProblemSource, ProposalBasis, ProposalState
from problems.models import ProblemIncident, TrendProposal
from problems.trends import signature
from tests.assertions import assert_nothing_written
from tests.config_items.factories import make_ci, make_service
from tests.incidents.factories import make_incident
from tests.problems.factories import make_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def printing():
    return Category.objects.create(name="Printing")


def incidents(agent, count, **data):
    return [make_incident(agent, **{"short_description": f"Ticket {n}", **data}) for n in range(count)]


def only(basis):
    return TrendProposal.objects.filter(basis=basis, state=ProposalState.PENDING)


def test_incidents_on_one_ci_and_category_become_a_proposal_that_says_why(agent, printing):
    printer = make_ci(name="Printer 4F")
    logged = [make_incident(agent, short_description=text, cis=[printer], category=printing)
              for text in ("Paper jam", "Toner streaks", "Offline again")]

    services.trend_detect(threshold=3)

    proposal = only(ProposalBasis.CI_CATEGORY).get()
    assert set(proposal.incidents.all()) == set(logged) and proposal.incident_count == 3
    assert proposal.ci == printer and proposal.category == printing
    assert "Printer 4F" in proposal.explanation and "Printing" in proposal.explanation
    assert "3 incidents" in proposal.explanation and proposal.window_days == 30


def test_a_group_below_the_threshold_is_not_proposed(agent, printing):
    printer = make_ci()
    incidents(agent, 2, cis=[printer], category=printing)

    assert services.trend_detect(threshold=3) == []
    assert not TrendProposal.objects.exists()


def test_a_run_proposes_at_most_the_largest_groups_and_the_rest_next_time(agent, printing, settings):
    settings.PROBLEM_TREND_MAX_NEW = 1
    small, large = make_ci(name="Printer 1F"), make_ci(name="Printer 2F")
    words = iter(["Paper jam", "Toner streaks", "Offline again", "Blank pages", "Driver crash", "Wrong tray",
                  "Slow spooler"])
    for printer, count in ((small, 3), (large, 4)):
        for _ in range(count):
            make_incident(agent, short_description=next(words), cis=[printer], category=printing)

    first = services.trend_detect(threshold=3)
    second = services.trend_detect(threshold=3)

    assert [p.ci for p in first] == [large]
    assert [p.ci for p in second] == [small]


def test_incidents_on_one_service_and_category_are_grouped_by_service(agent, printing):
    service = make_service(name="Print service")
    logged = [make_incident(agent, short_description=text, service=service, category=printing)
              for text in ("Cannot print", "Queue stuck", "Slow printouts")]

    services.trend_detect(threshold=3)

    proposal = only(ProposalBasis.SERVICE_CATEGORY).get()
    assert set(proposal.incidents.all()) == set(logged) and proposal.service == service


def test_a_ci_group_inside_its_service_group_is_proposed_once(agent, printing):
    service, printer = make_service(), make_ci()
    incidents(agent, 3, service=service, cis=[printer], category=printing)

    services.trend_detect(threshold=3)

    assert TrendProposal.objects.get().basis == ProposalBasis.CI_CATEGORY


def test_close_short_descriptions_are_grouped_whatever_their_numbers_and_word_order(agent):
    texts = ["VPN drops every 5 minutes", "vpn drops every 10 minutes!", "Every few minutes the VPN drops",
             "Payroll export fails"]
    logged = [make_incident(agent, short_description=text) for text in texts]

    services.trend_detect(threshold=3)

    proposal = only(ProposalBasis.SIMILAR_TEXT).get()
    assert set(proposal.incidents.all()) == set(logged[:3])
    assert "VPN drops" in proposal.explanation or "vpn drops" in proposal.explanation


def test_a_rarer_description_close_to_a_frequent_one_joins_its_group(agent):
    logged = [make_incident(agent, short_description=text) for text in
              ("Outlook crashes on start", "Outlook crashes on start", "Outlook crashes at start up")]

    services.trend_detect(threshold=3)

    assert set(only(ProposalBasis.SIMILAR_TEXT).get().incidents.all()) == set(logged)


def test_signatures_ignore_case_digits_and_small_words():
    assert signature("The printer on floor 4 is JAMMED") == signature("jammed printer, floor 2")


def test_old_incidents_and_incidents_linked_to_a_problem_are_left_out(agent, printing):
    printer = make_ci()
    recent = incidents(agent, 3, cis=[printer], category=printing)
    services.problem_link_incidents(actor=agent, problem=make_problem(agent), incidents=recent[:1])

    assert services.trend_detect(threshold=3) == []
    assert services.trend_detect(threshold=3, now=timezone.now() + timedelta(days=31)) == []
    assert services.trend_detect(threshold=2)[0].incident_count == 2


def test_a_pending_proposal_is_refreshed_not_duplicated(agent, printing):
    printer = make_ci()
    incidents(agent, 3, cis=[printer], category=printing)
    first = services.trend_detect(threshold=3)[0]
    assert services.trend_detect(threshold=3) == []  # nothing new: nothing written

    make_incident(agent, short_description="Once more", cis=[printer], category=printing)
    services.trend_detect(threshold=3)

    proposal = TrendProposal.objects.get()
    assert proposal.pk == first.pk and proposal.incident_count == 4 and proposal.incidents.count() == 4
    assert proposal.history.count() >= 2  # the refresh is on record


def test_a_dismissed_group_comes_back_only_when_it_has_grown(agent, printing, problem_manager):
    printer = make_ci()
    incidents(agent, 3, cis=[printer], category=printing)
    proposal = services.trend_detect(threshold=3)[0]
    services.proposal_dismiss(actor=problem_manager, proposal=proposal, reason="Known printer, replaced next week")

    assert services.trend_detect(threshold=3) == []

    make_incident(agent, short_description="Jams again", cis=[printer], category=printing)
    again = services.trend_detect(threshold=3)
    assert len(again) == 1 and again[0].pk != proposal.pk and again[0].incident_count == 4
    assert TrendProposal.objects.get(pk=proposal.pk).state == ProposalState.DISMISSED


def test_dismissing_needs_a_reason_and_a_problem_manager(agent, printing, problem_manager):
    incidents(agent, 3, cis=[make_ci()], category=printing)
    proposal = services.trend_detect(threshold=3)[0]

    with pytest.raises(NotPermitted):
        services.proposal_dismiss(actor=agent, proposal=proposal, reason="no")
    with pytest.raises(ValidationError) as refused:
        services.proposal_dismiss(actor=problem_manager, proposal=proposal, reason="  ")
    assert "reason" in refused.value.message_dict
    assert TrendProposal.objects.get().state == ProposalState.PENDING


def test_accepting_creates_a_problem_with_the_incidents_linked(agent, printing, problem_manager):
    printer = make_ci()
    logged = incidents(agent, 3, cis=[printer], category=printing)
    proposal = services.trend_detect(threshold=3)[0]

    problem = services.proposal_accept(actor=problem_manager, proposal=proposal)

    assert problem.source == ProblemSource.TREND_PROPOSAL and problem.category == printing
    assert list(problem.cis.all()) == [printer]
    assert {link.incident for link in ProblemIncident.objects.filter(problem=problem)} == set(logged)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.ACCEPTED and proposal.problem == problem
    assert proposal.decided_by == problem_manager and proposal.decided_at is not None
    assert proposal.history.first().history_user == problem_manager


def test_an_accepted_group_is_not_proposed_again(agent, printing, problem_manager):
    printer = make_ci()
    incidents(agent, 3, cis=[printer], category=printing)
    services.proposal_accept(actor=problem_manager, proposal=services.trend_detect(threshold=3)[0])
    incidents(agent, 3, cis=[printer], category=printing)

    assert services.trend_detect(threshold=3) == []


def test_a_proposal_is_accepted_once(agent, printing, problem_manager):
    incidents(agent, 3, cis=[make_ci()], category=printing)
    proposal = services.trend_detect(threshold=3)[0]
    services.proposal_accept(actor=problem_manager, proposal=proposal)

    with pytest.raises(TransitionNotAllowed) as refused, assert_nothing_written(ProblemIncident):
        services.proposal_accept(actor=problem_manager, proposal=proposal)
    assert "already accepted" in refused.value.message
    with pytest.raises(TransitionNotAllowed):
        services.proposal_dismiss(actor=problem_manager, proposal=proposal, reason="late")


def test_only_problem_managers_accept(agent, auditor, printing):
    incidents(agent, 3, cis=[make_ci()], category=printing)
    proposal = services.trend_detect(threshold=3)[0]

    for actor in (agent, auditor):
        with pytest.raises(NotPermitted):
            services.proposal_accept(actor=actor, proposal=proposal)
    assert TrendProposal.objects.get().state == ProposalState.PENDING


def test_accepting_leaves_out_incidents_linked_meanwhile(agent, printing, problem_manager):
    logged = incidents(agent, 3, cis=[make_ci()], category=printing)
    proposal = services.trend_detect(threshold=3)[0]
    other = make_problem(agent)
    services.problem_link_incidents(actor=agent, problem=other, incidents=logged[:1])

    problem = services.proposal_accept(actor=problem_manager, proposal=proposal)

    assert set(problem.incident_links.values_list("incident_id", flat=True)) == {i.pk for i in logged[1:]}


def test_bad_window_or_threshold_is_refused():
    with pytest.raises(ValidationError):
        services.trend_detect(threshold=1)
    with pytest.raises(ValidationError):
        services.trend_detect(window_days=0)


def test_the_task_and_the_command_run_detection(agent, printing, capsys):
    incidents(agent, 3, cis=[make_ci()], category=printing)

    assert tasks.detect_trends() == 1
    assert tasks.detect_trends() == 0  # a second run writes nothing
    call_command("detect_problem_trends", "--threshold", "2")
    assert "proposals created or refreshed" in capsys.readouterr().out


def test_the_command_refuses_a_bad_threshold():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="threshold"):
        call_command("detect_problem_trends", "--threshold", "1")


def test_the_beat_runs_detection():
    from django.conf import settings

    assert any(entry["task"] == "problems.tasks.detect_trends" for entry in settings.CELERY_BEAT_SCHEDULE.values())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_managers_accepting_at_once_make_one_problem(make_user, agent, printing):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers)")
    managers = [make_user("problem_manager", username=f"pm{n}") for n in range(2)]
    incidents(agent, 3, cis=[make_ci()], category=printing)
    proposal = services.trend_detect(threshold=3)[0]
    outcomes, barrier = [], threading.Barrier(2)

    def accept(manager):
        barrier.wait()
        try:
            services.proposal_accept(actor=manager, proposal=proposal)
            outcomes.append("accepted")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(manager,)) for manager in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted", "refused"]
    assert TrendProposal.objects.get().problem.incident_links.count() == 3
