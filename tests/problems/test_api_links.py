"""Problem API and incidents: links (with hold, and what resolving the problem does to the incidents
waiting on it), problems made from incidents, an incident's problem, workarounds applied, and the
rule that a major incident closes only with a problem or a recorded reason."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from incidents import services as incident_services
from incidents.choices import IncidentState, OnHoldReason
from itsm.models import JournalEntry
from problems import services
from problems.models import Problem, ProblemIncident, ProblemWaiver
from tests.assertions import assert_nothing_written
from tests.config_items.factories import make_ci, make_service
from tests.incidents.factories import make_incident, resolve
from tests.problems.factories import make_problem, publish

pytestmark = pytest.mark.django_db

BASE = "/api/v1/problems"


def client_of(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def agent_api(agent):
    return client_of(agent)


@pytest.fixture
def manager_api(problem_manager):
    return client_of(problem_manager)


RESOLUTION = {"resolution_code": "fixed", "resolution_notes": "Relay upgraded."}


def resolve_problem(client, problem, **body):
    response = client.post(f"{BASE}/{problem.pk}/transition/", {"transition": "resolve", "data": RESOLUTION, **body},
                           format="json")
    assert response.status_code == 200, response.json()
    return response.json()


# --- linking --------------------------------------------------------------------------------------

def test_linking_with_hold_puts_incidents_on_hold_and_resolving_resumes_them(agent_api, manager_api, agent):
    problem = make_problem(agent)
    first, second = make_incident(agent), make_incident(agent)

    linked = agent_api.post(f"{BASE}/{problem.pk}/incidents/", {"incidents": [first.pk, second.pk], "hold": True},
                            format="json")

    assert linked.status_code == 201, linked.json()
    assert sorted(link["incident"]["id"] for link in linked.json()) == [first.pk, second.pk]
    assert all(link["waiting"] and link["incident"]["state"] == "on_hold" for link in linked.json())
    listed = agent_api.get(f"{BASE}/{problem.pk}/incidents/").json()
    assert listed["count"] == 2 and agent_api.get(f"{BASE}/{problem.pk}/").json()["incident_count"] == 2

    resolve_problem(manager_api, problem)  # linked_incidents defaults to "resume"
    for incident in (first, second):
        incident.refresh_from_db()
        assert (incident.state, incident.on_hold_reason) == (IncidentState.IN_PROGRESS, "")


def test_resolving_can_resolve_or_leave_the_waiting_incidents(agent, manager_api):
    waiting = make_incident(agent)
    problem = services.problem_from_incidents(actor=agent, incidents=[waiting], hold=True)
    resolve_problem(manager_api, problem, linked_incidents="resolve")
    waiting.refresh_from_db()
    assert waiting.state == IncidentState.RESOLVED and "Relay upgraded." in waiting.resolution_notes

    left = make_incident(agent)
    other = services.problem_from_incidents(actor=agent, incidents=[left], hold=True)
    resolve_problem(manager_api, other, linked_incidents="leave")
    left.refresh_from_db()
    assert (left.state, left.on_hold_reason) == (IncidentState.ON_HOLD, OnHoldReason.AWAITING_PROBLEM)

    refused = manager_api.post(f"{BASE}/{make_problem(agent).pk}/transition/", {
        "transition": "resolve", "data": RESOLUTION, "linked_incidents": "forget"}, format="json")
    assert refused.status_code == 400 and "linked_incidents" in refused.json()["error"]["fields"]


def test_an_incident_linked_elsewhere_is_refused_and_nothing_is_linked(agent_api, agent):
    taken, free = make_incident(agent), make_incident(agent)
    owner = services.problem_from_incidents(actor=agent, incidents=[taken])
    problem = make_problem(agent)

    with assert_nothing_written():
        response = agent_api.post(f"{BASE}/{problem.pk}/incidents/",
                                  {"incidents": [free.pk, taken.pk], "hold": True}, format="json")

    assert response.status_code == 400
    assert f"{taken.number} → {owner.number}" in response.json()["error"]["fields"]["incidents"][0]
    free.refresh_from_db()
    assert free.state == IncidentState.NEW and not ProblemIncident.objects.filter(incident=free).exists()


def test_linking_refuses_an_empty_or_unknown_list(agent_api, agent):
    problem = make_problem(agent)
    for body in ({"incidents": []}, {"incidents": [999999]}, {}):
        with assert_nothing_written(ProblemIncident):
            response = agent_api.post(f"{BASE}/{problem.pk}/incidents/", body, format="json")
        assert response.status_code == 400 and "incidents" in response.json()["error"]["fields"], body


def test_unlinking_resumes_an_incident_that_waited(agent_api, agent):
    incident = make_incident(agent)
    problem = services.problem_from_incidents(actor=agent, incidents=[incident], hold=True)

    response = agent_api.post(f"{BASE}/{problem.pk}/incidents/unlink/", {"incident": incident.pk}, format="json")

    assert response.status_code == 204
    incident.refresh_from_db()
    assert incident.state == IncidentState.IN_PROGRESS and not ProblemIncident.objects.exists()
    again = agent_api.post(f"{BASE}/{problem.pk}/incidents/unlink/", {"incident": incident.pk}, format="json")
    assert again.status_code == 400 and "is not linked" in again.json()["error"]["fields"]["incident"][0]


def test_an_agent_makes_a_problem_from_incidents_with_their_fields(agent_api, agent):
    service, ci = make_service(name="Mail"), make_ci(name="relay-1")
    first = make_incident(agent, short_description="Mail bounces", service=service, cis=[ci], impact=2, urgency=3)
    second = make_incident(agent, short_description="Mail slow", impact=3, urgency=1)

    response = agent_api.post(f"{BASE}/from-incidents/", {"incidents": [first.pk, second.pk], "hold": True,
                                                          "description": "Seen twice this week."},
                              format="json", HTTP_IDEMPOTENCY_KEY="from-1")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["short_description"], body["description"]) == ("Mail bounces", "Seen twice this week.")
    assert body["service"]["id"] == service.pk and body["cis"] == [ci.pk]
    assert (body["impact"], body["urgency"], body["incident_count"]) == (2, 1, 2)
    replay = agent_api.post(f"{BASE}/from-incidents/", {"incidents": [first.pk, second.pk], "hold": True,
                                                        "description": "Seen twice this week."},
                            format="json", HTTP_IDEMPOTENCY_KEY="from-1")
    assert replay.content == response.content and Problem.objects.count() == 1
    second.refresh_from_db()
    assert second.on_hold_reason == OnHoldReason.AWAITING_PROBLEM


def test_an_incidents_problem_is_found_from_the_incident(agent_api, agent):
    incident, other = make_incident(agent), make_incident(agent)
    problem = services.problem_from_incidents(actor=agent, incidents=[incident])
    make_problem(agent)

    links = agent_api.get(f"{BASE}/incident-links/?incident={incident.pk}").json()["results"]
    assert [(link["problem"]["number"], link["incident"]["number"]) for link in links] == [
        (problem.number, incident.number)]
    assert agent_api.get(f"{BASE}/incident-links/?incident={other.pk}").json()["count"] == 0
    assert [p["id"] for p in agent_api.get(f"{BASE}/?incident={incident.pk}").json()["results"]] == [problem.pk]
    assert agent_api.get(f"{BASE}/?incident=abc").status_code == 400


@pytest.mark.parametrize("url", ["{base}/{problem}/incidents/", "{base}/incident-links/?problem={problem}"])
def test_the_link_lists_cost_the_same_queries_for_few_and_many_links(agent_api, agent, url):
    service = make_service(name="Mail")
    problem = services.problem_from_incidents(actor=agent, incidents=[make_incident(agent, service=service)])
    url = url.format(base=BASE, problem=problem.pk)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert agent_api.get(url).status_code == 200
        return len(queries)

    few = count()
    services.problem_link_incidents(actor=agent, problem=problem, hold=True, incidents=[
        make_incident(agent, service=make_service(name=f"Service {n}")) for n in range(5)])
    many = count()
    assert many == few and agent_api.get(url).json()["count"] == 6


# --- workarounds ----------------------------------------------------------------------------------

def test_an_agent_applies_a_known_errors_workaround_and_links_the_incident(agent_api, agent, problem_manager):
    problem = publish(problem_manager, make_problem(agent))
    incident = make_incident(agent)

    response = agent_api.post(f"{BASE}/{problem.pk}/apply-workaround/",
                              {"incident": incident.pk, "public": False}, format="json")

    assert response.status_code == 200, response.json()
    link = response.json()["link"]
    assert (link["incident"]["id"], link["via_known_error"], link["workaround_applied"]) == (incident.pk, True, True)
    note = JournalEntry.objects.filter(object_id=incident.pk, body__contains="Restart the mail relay.").get()
    assert note.is_public is False


def test_a_workaround_is_applied_by_the_service_desk_only_and_only_when_published(api, agent, problem_manager):
    draft = make_problem(agent)
    incident = make_incident(agent)
    api.force_authenticate(agent)
    with assert_nothing_written(ProblemIncident):
        refused = api.post(f"{BASE}/{draft.pk}/apply-workaround/", {"incident": incident.pk}, format="json")
    assert refused.status_code == 400 and "no published workaround" in refused.json()["error"]["fields"]["problem"][0]

    published = publish(problem_manager, make_problem(agent))
    api.force_authenticate(problem_manager)  # works problems, not incidents
    with assert_nothing_written():
        assert api.post(f"{BASE}/{published.pk}/apply-workaround/", {"incident": incident.pk},
                        format="json").status_code == 403


# --- the major-incident rule ----------------------------------------------------------------------

def test_a_major_incident_closes_through_the_api_only_with_a_problem_or_a_reason(agent_api, agent, team_lead):
    incident = make_incident(agent)
    incident = incident_services.incident_promote_major(actor=team_lead, incident=incident, reason="All down")
    resolve(agent, incident)
    close = {"transition": "close"}

    with assert_nothing_written():
        refused = agent_api.post(f"/api/v1/incidents/{incident.pk}/transition/", close, format="json")
    assert refused.status_code == 400 and "problem" in refused.json()["error"]["fields"]

    blank = agent_api.post(f"{BASE}/waivers/", {"incident": incident.pk, "reason": "  "}, format="json")
    assert blank.status_code == 400 and "reason" in blank.json()["error"]["fields"]
    waived = agent_api.post(f"{BASE}/waivers/", {"incident": incident.pk, "reason": "Power cut by the utility."},
                            format="json")
    assert waived.status_code == 201, waived.json()
    assert waived.json()["incident"]["number"] == incident.number
    assert agent_api.get(f"{BASE}/waivers/?incident={incident.pk}").json()["count"] == 1
    twice = agent_api.post(f"{BASE}/waivers/", {"incident": incident.pk, "reason": "Again"}, format="json")
    assert twice.status_code == 400 and ProblemWaiver.objects.count() == 1

    closed = agent_api.post(f"/api/v1/incidents/{incident.pk}/transition/", close, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"


def test_a_major_incident_with_a_problem_closes(agent_api, agent, team_lead):
    incident = incident_services.incident_promote_major(actor=team_lead, incident=make_incident(agent),
                                                        reason="All down")
    resolve(agent, incident)
    assert agent_api.post(f"{BASE}/from-incidents/", {"incidents": [incident.pk]}, format="json").status_code == 201

    closed = agent_api.post(f"/api/v1/incidents/{incident.pk}/transition/", {"transition": "close"}, format="json")
    assert closed.status_code == 200, closed.json()


def test_only_a_major_incident_takes_a_waiver(agent_api, agent, auditor):
    incident = make_incident(agent)
    with assert_nothing_written(ProblemWaiver):
        refused = agent_api.post(f"{BASE}/waivers/", {"incident": incident.pk, "reason": "x"}, format="json")
    assert refused.status_code == 400 and "not a major incident" in refused.json()["error"]["fields"]["incident"][0]
    with assert_nothing_written():
        assert client_of(auditor).post(f"{BASE}/waivers/", {"incident": incident.pk, "reason": "x"},
                                       format="json").status_code == 403
