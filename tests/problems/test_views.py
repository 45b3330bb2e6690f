"""The problem pages: list and queues, logging and editing, the problem page for each role, its
actions (steps, links, tasks, comments), the manager's work view."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.choices import IncidentState, OnHoldReason
from problems import services
from problems.choices import ProblemState, TaskState
from problems.models import Problem, ProblemIncident, ProblemTask
from tests.assertions import assert_nothing_written
from tests.config_items.factories import make_service
from tests.factories import TeamFactory
from tests.incidents.factories import make_incident
from tests.problems.factories import make_problem, move, publish

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def detail_url(problem) -> str:
    return reverse("problem_detail", args=[problem.pk])


# --- the list -----------------------------------------------------------------------------------

def test_an_agent_lands_on_their_own_problems_and_sees_the_queue_counts(agent):
    team = TeamFactory(members=[agent])
    mine = make_problem(agent, short_description="Mine", assignment_group=team, assignee=agent)
    make_problem(agent, short_description="Someone else's")

    page = client_of(agent).get(reverse("problem_list"))

    assert page.status_code == 200
    rows = page.context["object_list"]
    assert [p.number for p in rows] == [mine.number]
    tabs = {tab["value"]: tab["count"] for tab in page.context["queue_tabs"]}
    assert tabs["mine"] == 1 and tabs["open"] == 2 and "managed" not in tabs


def test_the_list_filters_by_state_and_text_and_htmx_gets_the_results_only(agent, problem_manager):
    known = publish(problem_manager, make_problem(agent, short_description="Mail relay leaks sockets"))
    make_problem(agent, short_description="Printer jams")
    client = client_of(agent)

    by_state = client.get(reverse("problem_list"), {"state": "known_error"})
    by_text = client.get(reverse("problem_list"), {"q": "relay"}, HTTP_HX_REQUEST="true")

    assert [p.pk for p in by_state.context["object_list"]] == [known.pk]
    assert [p.pk for p in by_text.context["object_list"]] == [known.pk]
    assert by_text.templates[0].name == "problems/_problem_results.html"


def test_the_list_exports_csv(agent):
    make_problem(agent, short_description="Disk fills up")

    response = client_of(agent).get(reverse("problem_list"), {"queue": "open", "export": "csv"})

    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert response.status_code == 200 and "Disk fills up" in body and body.lstrip("\ufeff").startswith("Number,")


def test_the_list_costs_the_same_queries_for_few_and_many_problems(agent, django_assert_max_num_queries):
    team = TeamFactory(members=[agent])
    service = make_service(name="Mail")
    make_problem(agent, assignment_group=team, assignee=agent, service=service)
    client = client_of(agent)
    url = reverse("problem_list") + "?queue=open"
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(15):
        make_problem(agent, short_description=f"Problem {index}", assignment_group=team, assignee=agent,
                     service=service)

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)

    assert len(page.context["object_list"]) == 16


def test_requesters_see_nothing_of_problems(requester, agent):
    problem = make_problem(agent)
    client = client_of(requester)

    assert client.get(reverse("problem_list")).status_code == 403
    assert client.get(detail_url(problem)).status_code == 403


# --- logging and editing --------------------------------------------------------------------------

def test_an_agent_logs_a_problem_through_the_form(agent):
    team = TeamFactory(members=[agent])
    service = make_service(name="Mail")

    response = client_of(agent).post(reverse("problem_create"), {
        "short_description": "Mail bounces at night", "service": service.pk, "impact": 2, "urgency": 1,
        "assignment_group": team.pk, "assignee": agent.pk, "source": "proactive"})

    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(problem)
    assert (problem.service, problem.assignee, problem.priority, problem.created_by) == (service, agent, 2, agent)


def test_the_form_shows_the_services_refusal_on_its_field_and_writes_nothing(agent, make_user):
    team = TeamFactory(members=[agent])
    outsider = make_user("agent", username="outsider")

    with assert_nothing_written(Problem):
        response = client_of(agent).post(reverse("problem_create"), {
            "short_description": "Mail bounces", "impact": 3, "urgency": 3, "source": "proactive",
            "assignment_group": team.pk, "assignee": outsider.pk})

    assert response.status_code == 200
    assert "is not a member of" in str(response.context["form"].errors["assignee"])


def test_editing_with_an_old_version_is_refused_not_lost(agent):
    problem = make_problem(agent)
    services.problem_update(actor=agent, problem=problem, data={"workaround": "Restart"})

    response = client_of(agent).post(reverse("problem_update", args=[problem.pk]), {
        "short_description": "Changed", "impact": 3, "urgency": 3, "source": "proactive", "version": problem.version})

    problem.refresh_from_db()
    assert response.status_code == 200 and problem.short_description != "Changed"
    assert response.context["form"].non_field_errors()


# --- the problem page ------------------------------------------------------------------------------

def test_the_auditor_reads_the_problem_page_without_any_action(auditor, agent, problem_manager):
    problem = publish(problem_manager, make_problem(agent))
    services.problem_task_create(actor=agent, problem=problem, data={"short_description": "Read the logs"})

    page = client_of(auditor).get(detail_url(problem))

    html = page.content.decode()
    assert page.status_code == 200 and problem.number in html and "Read the logs" in html
    assert page.context["transition_forms"] == [] and not page.context["editable"]
    assert 'id="problem-actions"' not in html and 'id="comment-form"' not in html
    assert client_of(auditor).post(reverse("problem_comment", args=[problem.pk]), {"body": "x"}).status_code == 403


def test_an_agent_is_offered_the_investigation_steps_and_a_manager_the_decisions(agent, problem_manager):
    problem = move(agent, make_problem(agent), "assess", "analyse")

    agent_steps = [i["step"].name for i in client_of(agent).get(detail_url(problem)).context["transition_forms"]]
    manager_steps = [i["step"].name for i in
                     client_of(problem_manager).get(detail_url(problem)).context["transition_forms"]]

    assert agent_steps == []
    assert manager_steps == ["publish_known_error", "resolve", "cancel"]


def test_an_agent_moves_a_problem_into_analysis(agent):
    problem = make_problem(agent)

    response = client_of(agent).post(reverse("problem_transition", args=[problem.pk]),
                                     {"transition": "analyse", "version": problem.version})

    problem.refresh_from_db()
    assert response.status_code == 302 and problem.state == ProblemState.ROOT_CAUSE_ANALYSIS


def test_a_refused_step_comes_back_with_its_form_and_the_errors(agent, problem_manager):
    problem = move(agent, make_problem(agent), "analyse")

    with assert_nothing_written(Problem):
        response = client_of(problem_manager).post(reverse("problem_transition", args=[problem.pk]),
                                                   {"transition": "publish_known_error", "version": problem.version})

    assert response.status_code == 400
    assert response.context["open_panel"] == "transition-publish_known_error"
    form = next(i["form"] for i in response.context["transition_forms"] if i["step"].name == "publish_known_error")
    assert "root cause or a workaround" in str(form.errors)


def test_the_manager_publishes_then_resolves_and_the_waiting_incidents_resume(agent, problem_manager):
    incident = make_incident(agent)
    problem = move(agent, make_problem(agent), "analyse")
    services.problem_link_incidents(actor=agent, problem=problem, incidents=[incident], hold=True)
    client = client_of(problem_manager)

    client.post(reverse("problem_transition", args=[problem.pk]), {
        "transition": "publish_known_error", "root_cause": "The relay leaks sockets.",
        "workaround": "Restart the relay.", "version": Problem.objects.get().version})
    response = client.post(reverse("problem_transition", args=[problem.pk]), {
        "transition": "resolve", "resolution_code": "fixed", "resolution_notes": "Patched the relay.",
        "linked_incidents": "resume", "version": Problem.objects.get().version})

    problem.refresh_from_db()
    incident.refresh_from_db()
    assert response.status_code == 302
    assert (problem.state, problem.root_cause, problem.workaround) == (
        ProblemState.RESOLVED, "The relay leaks sockets.", "Restart the relay.")
    assert incident.state == IncidentState.IN_PROGRESS


def test_the_page_lists_linked_incidents_and_warns_of_a_recurrence(agent, problem_manager):
    before = make_incident(agent, short_description="Mail down in March")
    problem = make_problem(agent)
    services.problem_link_incidents(actor=agent, problem=problem, incidents=[before])
    problem = move(problem_manager, problem, "resolve", resolution_code="fixed", resolution_notes="Patched.",
                   linked_incidents="leave")
    again = make_incident(agent, short_description="Mail down again")
    services.problem_link_incidents(actor=agent, problem=problem, incidents=[again])

    page = client_of(agent).get(detail_url(problem))

    html = page.content.decode()
    assert page.context["incident_counts"] == {"total": 2, "open": 2, "waiting": 0, "recurrences": 1}
    assert 'id="recurrence-warning"' in html
    assert f'data-linked-incident="{before.number}"' in html and f'data-linked-incident="{again.number}"' in html


def test_an_agent_links_incidents_by_number_and_on_hold_then_unlinks_one(agent):
    first, second = make_incident(agent), make_incident(agent)
    problem = make_problem(agent)
    client = client_of(agent)

    response = client.post(reverse("problem_link_incidents", args=[problem.pk]),
                           {"numbers": f"{first.number}, {second.number.lower()}", "hold": "on"})

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == IncidentState.ON_HOLD and first.on_hold_reason == OnHoldReason.AWAITING_PROBLEM
    link = ProblemIncident.objects.get(incident=first)
    client.post(reverse("problem_incident_unlink", args=[link.pk]))
    first.refresh_from_db()
    assert list(ProblemIncident.objects.values_list("incident_id", flat=True)) == [second.pk]
    assert first.state == IncidentState.IN_PROGRESS


def test_linking_an_unknown_number_is_refused_on_the_form(agent):
    problem = make_problem(agent)

    with assert_nothing_written(ProblemIncident):
        response = client_of(agent).post(reverse("problem_link_incidents", args=[problem.pk]),
                                         {"numbers": "INC9999999"})

    assert response.status_code == 400 and response.context["open_panel"] == "link"
    assert "There is no incident INC9999999" in response.content.decode()


def test_an_agent_adds_a_task_and_finishes_it_with_its_outcome(agent):
    problem = make_problem(agent)
    client = client_of(agent)

    client.post(reverse("problem_task_create", args=[problem.pk]),
                {"short_description": "Read the relay logs", "assignee": agent.pk, "due_date": "2030-01-31"})
    task = ProblemTask.objects.get()
    refused = client.post(reverse("problem_task_finish", args=[task.pk]), {"outcome": "", "version": task.version})
    done = client.post(reverse("problem_task_finish", args=[task.pk]),
                       {"outcome": "Sockets leak on TLS errors.", "version": task.version})

    task.refresh_from_db()
    assert refused.status_code == 400
    assert done.status_code == 302 and (task.state, task.outcome) == (TaskState.DONE, "Sockets leak on TLS errors.")
    html = client.get(detail_url(problem)).content.decode()
    assert "Task done: Read the relay logs" in html


def test_a_task_is_cancelled_with_a_reason(agent):
    problem = make_problem(agent)
    task = services.problem_task_create(actor=agent, problem=problem, data={"short_description": "Check DNS"})

    client_of(agent).post(reverse("problem_task_finish", args=[task.pk]),
                          {"outcome": "Not needed", "cancelled": "true", "version": task.version})

    task.refresh_from_db()
    assert task.state == TaskState.CANCELLED


def test_comments_and_work_notes_land_on_the_timeline(agent):
    problem = make_problem(agent)

    client_of(agent).post(reverse("problem_comment", args=[problem.pk]), {"body": "Seen again on node 3."})

    kinds = [item["kind"] for item in client_of(agent).get(detail_url(problem)).context["timeline"]]
    assert "work_note" in kinds or "comment" in kinds


def test_the_known_error_panel_counts_use_and_flags_a_stale_entry(agent, problem_manager, settings):
    problem = publish(problem_manager, make_problem(agent))
    services.known_error_apply(actor=agent, problem=problem, incident=make_incident(agent))
    settings.KNOWN_ERROR_STALE_DAYS = 0

    page = client_of(agent).get(detail_url(problem))

    panel = page.context["known_error"]
    assert panel["counts"] == {"applied": 1, "spared": 1}
    assert panel["stale"] and 'id="known-error-stale"' in page.content.decode()


def test_the_problem_page_costs_the_same_queries_with_more_incidents_and_tasks(agent,
                                                                               django_assert_max_num_queries):
    problem = make_problem(agent)
    services.problem_link_incidents(actor=agent, problem=problem, incidents=[make_incident(agent)])
    services.problem_task_create(actor=agent, problem=problem, data={"short_description": "Task 0"})
    client = client_of(agent)
    with CaptureQueriesContext(connection) as few:
        client.get(detail_url(problem))
    services.problem_link_incidents(actor=agent, problem=problem, incidents=[make_incident(agent) for _ in range(8)])
    for index in range(1, 8):
        services.problem_task_create(actor=agent, problem=problem, data={"short_description": f"Task {index}"})

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(detail_url(problem))

    assert len(page.context["links"]) == 9 and len(page.context["tasks"]) == 8


# --- the manager's work view ------------------------------------------------------------------------

def test_the_manager_view_lists_what_waits_on_a_decision(agent, problem_manager, settings):
    analysing = move(agent, make_problem(agent, short_description="Analysing"), "analyse")
    stale = publish(problem_manager, make_problem(agent, short_description="Stale"))
    closable = move(problem_manager, make_problem(agent, short_description="Quiet"), "resolve",
                    resolution_code="fixed", resolution_notes="Patched.")
    settings.KNOWN_ERROR_STALE_DAYS = 0
    settings.PROBLEM_QUIET_DAYS = 0

    page = client_of(problem_manager).get(reverse("problem_manager"))

    sections = page.context["sections"]
    assert [p.pk for p in sections["analysis"]["rows"]] == [analysing.pk]
    assert [p.pk for p in sections["stale"]["rows"]] == [stale.pk]
    assert [p.pk for p in sections["closable"]["rows"]] == [closable.pk]
    assert sections["recurring"]["total"] == 0 and page.context["proposals_pending"] == 0


def test_only_managers_and_auditors_open_the_manager_view(agent, auditor, problem_manager):
    assert client_of(agent).get(reverse("problem_manager")).status_code == 403
    assert client_of(auditor).get(reverse("problem_manager")).status_code == 200
    assert client_of(problem_manager).get(reverse("problem_manager")).status_code == 200


def test_a_resolved_problem_with_a_recurrence_is_not_offered_for_closing(agent, problem_manager, settings):
    problem = move(problem_manager, make_problem(agent), "resolve", resolution_code="fixed",
                   resolution_notes="Patched.")
    services.problem_link_incidents(actor=agent, problem=problem, incidents=[make_incident(agent)])
    settings.PROBLEM_QUIET_DAYS = 0

    sections = client_of(problem_manager).get(reverse("problem_manager")).context["sections"]

    assert sections["closable"]["total"] == 0
    assert [(p.pk, p.recurrences) for p in sections["recurring"]["rows"]] == [(problem.pk, 1)]


def test_global_search_opens_a_problem_by_number(agent):
    problem = make_problem(agent)

    response = client_of(agent).get(reverse("search"), {"q": problem.number.lower()})

    assert response.status_code == 302 and response["Location"] == detail_url(problem)


def test_old_dates_do_not_matter_to_the_quiet_period_of_a_fresh_resolution(agent, problem_manager):
    problem = move(problem_manager, make_problem(agent), "resolve", resolution_code="fixed",
                   resolution_notes="Patched.")
    assert problem.resolved_at > timezone.now() - timedelta(minutes=1)

    sections = client_of(problem_manager).get(reverse("problem_manager")).context["sections"]

    assert sections["closable"]["total"] == 0


def test_a_problem_worker_saves_a_filter_of_the_problem_list_apart_from_the_incident_queues(agent):
    client = Client()
    client.force_login(agent)

    saved = client.post(reverse("problem_saved_filter_create"), {"name": "Mine, P1", "query": "queue=mine&priority=1"})
    problems_page = client.get(reverse("problem_list")).content.decode()
    incidents_page = client.get(reverse("incident_list")).content.decode()

    assert saved.status_code == 302 and saved["Location"] == "/problems/?queue=mine&priority=1"
    assert 'data-saved-filter="Mine, P1"' in problems_page
    assert 'data-saved-filter="Mine, P1"' not in incidents_page
