"""Problem API under /api/v1/problems/: the kernel's conventions (idempotent create, If-Match,
strict input and filters, role checks) on problems, and every workflow guard said through the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from problems import services
from problems.choices import ProblemState
from problems.models import Problem, ProblemTask
from tests.assertions import assert_nothing_written
from tests.config_items.factories import make_ci, make_service
from tests.incidents.factories import make_incident, make_team_with
from tests.problems.factories import make_problem, move

pytestmark = pytest.mark.django_db

BASE = "/api/v1/problems"


@pytest.fixture
def agent_api(api, agent):
    api.force_authenticate(agent)
    return api


@pytest.fixture
def manager_api(problem_manager):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(problem_manager)
    return client


def etag(problem):
    problem.refresh_from_db()
    return f'"{problem.pk}-{problem.version}"'


def step(client, problem, name, expected_status=200, **body):
    response = client.post(f"{BASE}/{problem.pk}/transition/", {"transition": name, **body}, format="json")
    assert response.status_code == expected_status, response.json()
    return response.json()


# --- create, read, update -------------------------------------------------------------------------

def test_an_agent_logs_a_problem_with_nested_relations_and_the_matrix_priority(agent_api, agent, problem_manager):
    team = make_team_with(agent, name="Problem squad")
    service = make_service(name="Mail")
    ci = make_ci(name="relay-1")

    response = agent_api.post(f"{BASE}/", {
        "short_description": "Mail relay drops connections", "service": service.pk, "cis": [ci.pk],
        "impact": 1, "urgency": 2, "assignment_group": team.pk, "assignee": agent.pk,
        "problem_manager": problem_manager.pk, "source": "proactive",
    }, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("PRB")
    assert body["service"] == {"id": service.pk, "number": service.number, "name": "Mail"}
    assert body["cis"] == [ci.pk]
    assert body["assignee"]["username"] == "agent" and body["problem_manager"]["username"] == "pm"
    assert (body["priority"], body["priority_label"]) == (2, "P2 - High")
    assert (body["state"], body["state_label"], body["source_label"]) == ("new", "New", "Proactive")
    assert body["allowed_transitions"] == ["assess", "analyse"]  # an agent investigates, never decides
    assert body["incident_count"] == 0 and body["is_known_error"] is False
    assert response["ETag"] == f'"{body["id"]}-1"'
    assert agent_api.get(f"{BASE}/{body['id']}/").json() == body


def test_bad_input_is_refused_by_field_and_nothing_is_written(agent_api, agent):
    other = make_ci(name="not a service")
    with assert_nothing_written(Problem):
        response = agent_api.post(f"{BASE}/", {"short_description": "X", "service": other.pk, "colour": "red"},
                                  format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"colour": ["Unknown field."]}

    with assert_nothing_written(Problem):
        response = agent_api.post(f"{BASE}/", {"short_description": "X", "service": other.pk}, format="json")
    assert response.status_code == 400
    assert "is not a service" in response.json()["error"]["fields"]["service"][0]


def test_a_create_retried_with_its_idempotency_key_is_answered_once(agent_api):
    body = {"short_description": "Nightly batch overruns"}
    first = agent_api.post(f"{BASE}/", body, format="json", HTTP_IDEMPOTENCY_KEY="prb-1")
    again = agent_api.post(f"{BASE}/", body, format="json", HTTP_IDEMPOTENCY_KEY="prb-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Problem.objects.count() == 1
    other = agent_api.post(f"{BASE}/", {"short_description": "Else"}, format="json", HTTP_IDEMPOTENCY_KEY="prb-1")
    assert other.status_code == 409 and Problem.objects.count() == 1


def test_an_update_needs_the_version_read_and_a_stale_one_is_refused(agent_api, agent):
    problem = make_problem(agent)
    url = f"{BASE}/{problem.pk}/"

    assert agent_api.patch(url, {"urgency": 1}, format="json").status_code == 428
    current = etag(problem)
    services.problem_update(actor=agent, problem=problem, data={"description": "More detail"})
    with assert_nothing_written(Problem):
        stale = agent_api.patch(url, {"urgency": 1}, format="json", HTTP_IF_MATCH=current)
    assert stale.status_code == 412

    fresh = agent_api.patch(url, {"urgency": 1, "impact": 1}, format="json", HTTP_IF_MATCH=etag(problem))
    assert fresh.status_code == 200, fresh.json()
    assert (fresh.json()["priority"], fresh.json()["description"]) == (1, "More detail")
    assert fresh["ETag"] == etag(problem)


def test_the_list_filters_strictly_and_orders(agent_api, agent):
    older = make_problem(agent, short_description="Disk fills up")
    newer = make_problem(agent, short_description="Relay leaks sockets", impact=1, urgency=1)
    move(agent, older, "assess")

    ids = [row["id"] for row in agent_api.get(f"{BASE}/").json()["results"]]
    assert ids == [newer.pk, older.pk]
    assert [r["id"] for r in agent_api.get(f"{BASE}/?state=assessment").json()["results"]] == [older.pk]
    assert [r["id"] for r in agent_api.get(f"{BASE}/?q=relay").json()["results"]] == [newer.pk]
    assert [r["id"] for r in agent_api.get(f"{BASE}/?ordering=priority").json()["results"]] == [newer.pk, older.pk]
    refused = agent_api.get(f"{BASE}/?colour=red")
    assert refused.status_code == 400 and "colour" in refused.json()["error"]["fields"]


def test_the_problem_list_costs_the_same_queries_for_few_and_many_rows(agent_api, agent):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert agent_api.get(f"{BASE}/").status_code == 200
        return len(queries)

    team = make_team_with(agent)
    service = make_service(name="Mail")
    make_problem(agent, service=service, cis=[make_ci(name="a")], assignment_group=team, assignee=agent)
    few = count()
    for index in range(6):
        problem = make_problem(agent, service=service, cis=[make_ci(name=f"ci {index}")],
                               assignment_group=team, assignee=agent)
        services.problem_link_incidents(actor=agent, problem=problem, incidents=[make_incident(agent)])
    assert count() == few


# --- who may do what ------------------------------------------------------------------------------

def test_requesters_see_nothing_of_problems(api, requester, agent):
    problem = make_problem(agent)
    api.force_authenticate(requester)
    for url in (f"{BASE}/", f"{BASE}/{problem.pk}/", f"{BASE}/{problem.pk}/incidents/", f"{BASE}/incident-links/"):
        assert api.get(url).status_code == 403, url


def test_auditors_and_read_only_tokens_read_but_never_write(api, auditor, agent, token_client):
    problem = make_problem(agent)
    read_only = token_client(agent, read_only=True)
    api.force_authenticate(auditor)
    for client in (api, read_only):
        assert client.get(f"{BASE}/{problem.pk}/").status_code == 200
        assert client.get(f"{BASE}/{problem.pk}/journal/").status_code == 200
        with assert_nothing_written():
            assert client.post(f"{BASE}/", {"short_description": "X"}, format="json").status_code == 403
            assert client.post(f"{BASE}/{problem.pk}/transition/", {"transition": "assess"},
                               format="json").status_code == 403
            assert client.post(f"{BASE}/{problem.pk}/comments/", {"body": "x"}, format="json").status_code == 403


def test_an_auditor_is_offered_no_step(api, auditor, agent):
    problem = make_problem(agent)
    api.force_authenticate(auditor)
    assert api.get(f"{BASE}/{problem.pk}/transitions/").json() == []
    assert api.get(f"{BASE}/{problem.pk}/").json()["allowed_transitions"] == []


# --- the workflow's guards through the API --------------------------------------------------------

def test_a_known_error_needs_a_cause_or_a_workaround_and_a_problem_manager(agent_api, manager_api, agent):
    problem = move(agent, make_problem(agent), "analyse")

    with assert_nothing_written(Problem):
        refused = manager_api.post(f"{BASE}/{problem.pk}/transition/", {"transition": "publish_known_error"},
                                   format="json")
    assert refused.status_code == 400
    assert set(refused.json()["error"]["fields"]) == {"root_cause", "workaround"}

    body = {"transition": "publish_known_error", "data": {"workaround": "Restart the relay."}}
    with assert_nothing_written(Problem):
        assert agent_api.post(f"{BASE}/{problem.pk}/transition/", body, format="json").status_code == 403

    published = step(manager_api, problem, "publish_known_error", data={"workaround": "Restart the relay."})
    assert (published["state"], published["is_known_error"]) == ("known_error", True)
    assert published["symptom"] == "Mail server drops connections"  # carried from the description


def test_transition_data_is_checked_field_by_field(manager_api, agent):
    problem = make_problem(agent)
    for data, field in (({"colour": "red"}, "data.colour"), ({"resolution_code": "magic"}, "data.resolution_code"),
                        ({"workaround": 42, "root_cause": ["x"]}, "data.root_cause")):
        with assert_nothing_written(Problem):
            refused = manager_api.post(f"{BASE}/{problem.pk}/transition/", {"transition": "resolve", "data": data},
                                       format="json")
        assert refused.status_code == 400 and field in refused.json()["error"]["fields"], refused.json()


def test_resolving_needs_a_code_notes_and_no_open_task(agent_api, manager_api, agent):
    problem = make_problem(agent)
    refused = manager_api.post(f"{BASE}/{problem.pk}/transition/", {"transition": "resolve"}, format="json")
    assert refused.status_code == 400
    assert {"resolution_code", "resolution_notes"} <= set(refused.json()["error"]["fields"])

    task = agent_api.post(f"{BASE}/{problem.pk}/tasks/", {"short_description": "Read the logs"}, format="json")
    assert task.status_code == 201, task.json()
    body = {"transition": "resolve", "data": {"resolution_code": "fixed", "resolution_notes": "Patched."}}
    with assert_nothing_written(Problem):
        blocked = manager_api.post(f"{BASE}/{problem.pk}/transition/", body, format="json")
    assert blocked.status_code == 400 and "tasks" in blocked.json()["error"]["fields"]
    with assert_nothing_written(Problem):
        assert agent_api.post(f"{BASE}/{problem.pk}/transition/", body, format="json").status_code == 403

    finished = agent_api.post(f"{BASE}/tasks/{task.json()['id']}/finish/", {"outcome": "Socket leak"}, format="json")
    assert finished.status_code == 200 and finished.json()["state"] == "done"
    resolved = step(manager_api, problem, "resolve", **{"data": body["data"]})
    assert resolved["state"] == "resolved" and resolved["resolution_code_label"] == "Fixed (root cause removed)"


def test_closing_waits_for_the_quiet_period_and_no_recurrence(agent_api, manager_api, agent, settings):
    problem = make_problem(agent)
    step(manager_api, problem, "resolve", data={"resolution_code": "fixed", "resolution_notes": "Patched."})

    settings.PROBLEM_QUIET_DAYS = 28
    inside = manager_api.post(f"{BASE}/{problem.pk}/transition/", {"transition": "close"}, format="json")
    assert inside.status_code == 400 and "28 days" in inside.json()["error"]["fields"]["state"][0]

    settings.PROBLEM_QUIET_DAYS = 0
    recurrence = make_incident(agent)
    assert agent_api.post(f"{BASE}/{problem.pk}/incidents/", {"incidents": [recurrence.pk]},
                          format="json").status_code == 201
    assert agent_api.get(f"{BASE}/{problem.pk}/").json()["recurrences"] == 1
    with assert_nothing_written(Problem):
        again = manager_api.post(f"{BASE}/{problem.pk}/transition/", {"transition": "close"}, format="json")
    assert again.status_code == 400 and "opened after its resolution" in again.json()["error"]["fields"]["state"][0]

    reopened = step(manager_api, problem, "reopen")
    assert reopened["state"] == "root_cause_analysis"


def test_cancelling_needs_a_reason(manager_api, agent):
    problem = make_problem(agent)
    refused = manager_api.post(f"{BASE}/{problem.pk}/transition/", {"transition": "cancel"}, format="json")
    assert refused.status_code == 400 and "cancel_reason" in refused.json()["error"]["fields"]

    cancelled = step(manager_api, problem, "cancel", data={"cancel_reason": "Duplicate of PRB0001001."})
    assert cancelled["state"] == "cancelled" and cancelled["allowed_transitions"] == []
    edit = manager_api.patch(f"{BASE}/{problem.pk}/", {"urgency": 1}, format="json", HTTP_IF_MATCH=etag(problem))
    assert edit.status_code == 400


def test_a_step_not_allowed_from_the_state_is_a_conflict(manager_api, agent):
    problem = make_problem(agent)
    assert manager_api.post(f"{BASE}/{problem.pk}/transition/", {"transition": "close"},
                            format="json").status_code == 409


def test_a_transition_with_a_stale_version_is_refused(manager_api, agent):
    problem = make_problem(agent)
    stale = etag(problem)
    move(agent, problem, "assess")
    with assert_nothing_written(Problem):
        response = manager_api.post(f"{BASE}/{problem.pk}/transition/", {"transition": "analyse"},
                                    format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412


# --- assignment, journal --------------------------------------------------------------------------

def test_assigning_and_commenting_land_on_the_timeline(agent_api, agent):
    team = make_team_with(agent, name="Squad")
    problem = make_problem(agent)

    assigned = agent_api.post(f"{BASE}/{problem.pk}/assign/", {"assignment_group": team.pk, "assignee": agent.pk},
                              format="json")
    assert assigned.status_code == 200, assigned.json()
    assert assigned.json()["assignee"]["username"] == "agent"
    note = agent_api.post(f"{BASE}/{problem.pk}/comments/", {"body": "Looked at the relay.", "internal": True},
                          format="json")
    assert note.status_code == 201 and note.json()["is_public"] is False

    bodies = [e["body"] for e in agent_api.get(f"{BASE}/{problem.pk}/journal/").json()["results"]]
    assert "Looked at the relay." in bodies and any("Squad" in body for body in bodies)


def test_tasks_are_listed_changed_with_if_match_and_finished(agent_api, agent):
    problem = make_problem(agent)
    created = agent_api.post(f"{BASE}/{problem.pk}/tasks/", {"short_description": "Capture a trace",
                                                            "due_date": "2030-01-31"}, format="json")
    assert created.status_code == 201, created.json()
    task = ProblemTask.objects.get()
    url = f"{BASE}/tasks/{task.pk}/"

    assert agent_api.patch(url, {"assignee": agent.pk}, format="json").status_code == 428
    changed = agent_api.patch(url, {"assignee": agent.pk}, format="json", HTTP_IF_MATCH=f'"{task.pk}-1"')
    assert changed.status_code == 200, changed.json()
    assert changed.json()["assignee"]["username"] == "agent" and changed["ETag"] == f'"{task.pk}-2"'
    assert agent_api.patch(url, {"due_date": None}, format="json",
                           HTTP_IF_MATCH=f'"{task.pk}-1"').status_code == 412

    empty = agent_api.post(f"{url}finish/", {"outcome": " "}, format="json")
    assert empty.status_code == 400 and "outcome" in empty.json()["error"]["fields"]
    cancelled = agent_api.post(f"{url}finish/", {"outcome": "Not needed", "cancelled": True}, format="json")
    assert cancelled.json()["state"] == "cancelled"
    listed = agent_api.get(f"{BASE}/{problem.pk}/tasks/").json()
    assert [(t["short_description"], t["state"]) for t in listed] == [("Capture a trace", "cancelled")]
    assert agent_api.get(f"{BASE}/tasks/?state=cancelled").json()["count"] == 1


def test_root_cause_categories_are_kept_by_administrators(api, admin_user, agent):
    api.force_authenticate(agent)
    assert api.post(f"{BASE}/root-cause-categories/", {"name": "Capacity"}, format="json").status_code == 403
    api.force_authenticate(admin_user)
    created = api.post(f"{BASE}/root-cause-categories/", {"name": "Capacity"}, format="json")
    assert created.status_code == 201, created.json()
    retired = api.patch(f"{BASE}/root-cause-categories/{created.json()['id']}/", {"is_active": False}, format="json")
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    api.force_authenticate(agent)
    assert [c["name"] for c in api.get(f"{BASE}/root-cause-categories/").json()["results"]] == ["Capacity"]


def test_a_problem_is_found_by_its_number_in_the_problem_state(agent_api, agent):
    problem = make_problem(agent)
    assert agent_api.get(f"{BASE}/?q={problem.number.lower()}").json()["results"][0]["state"] == ProblemState.NEW
