"""Known errors and trend proposals in the API: the known-error list (search, filters, counts of use,
the stale flag), suggestions for an incident, proposals read, accepted and dismissed; constant
query counts of each list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from incidents.models import Category
from problems import services
from problems.choices import ProposalState
from problems.models import Problem, ProblemIncident, TrendProposal
from tests.assertions import assert_nothing_written
from tests.config_items.factories import link, make_ci, make_service
from tests.incidents.factories import make_incident
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


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.json()
    return len(queries)


# --- the known-error list -------------------------------------------------------------------------

def test_known_errors_list_their_workaround_use_and_staleness(agent_api, agent, problem_manager, settings):
    settings.KNOWN_ERROR_STALE_DAYS = 0  # every known error without a fix is stale at once
    relay = publish(problem_manager, make_problem(agent, short_description="Relay drops mail"))
    fixed = publish(problem_manager, make_problem(agent, short_description="Disk fills"), workaround="Purge /tmp")
    services.problem_update(actor=agent, problem=fixed, data={"fix": "Rotate the logs (CHG0001001)."})
    make_problem(agent, short_description="Still investigating")
    services.known_error_apply(actor=agent, problem=relay, incident=make_incident(agent))
    services.known_error_apply(actor=agent, problem=relay, incident=make_incident(agent))

    rows = {row["number"]: row for row in agent_api.get(f"{BASE}/known-errors/").json()["results"]}

    assert set(rows) == {relay.number, fixed.number}
    assert (rows[relay.number]["applied"], rows[relay.number]["spared"], rows[relay.number]["stale"]) == (2, 2, True)
    assert (rows[fixed.number]["applied"], rows[fixed.number]["stale"]) == (0, False)
    assert rows[relay.number]["workaround"] == "Restart the mail relay."
    stale = agent_api.get(f"{BASE}/known-errors/?stale=true").json()["results"]
    assert [row["number"] for row in stale] == [relay.number]
    found = agent_api.get(f"{BASE}/known-errors/?q=purge").json()["results"]
    assert [row["number"] for row in found] == [fixed.number]
    detail = agent_api.get(f"{BASE}/known-errors/{relay.pk}/").json()
    assert (detail["applied"], detail["stale"]) == (2, True)
    assert agent_api.get(f"{BASE}/known-errors/?colour=red").status_code == 400


def test_a_problem_that_is_no_known_error_is_not_found_there(agent_api, agent):
    problem = make_problem(agent)
    assert agent_api.get(f"{BASE}/known-errors/{problem.pk}/").status_code == 404


def test_the_known_error_list_costs_the_same_queries_for_few_and_many(agent_api, agent, problem_manager):
    service = make_service(name="Mail")
    publish(problem_manager, make_problem(agent, service=service, cis=[make_ci(name="a")]))
    few = query_count(agent_api, f"{BASE}/known-errors/")
    for n in range(5):
        known = publish(problem_manager, make_problem(agent, service=service, cis=[make_ci(name=f"ci {n}")]))
        services.known_error_apply(actor=agent, problem=known, incident=make_incident(agent))
    assert query_count(agent_api, f"{BASE}/known-errors/") == few


def test_requesters_see_no_known_errors_nor_proposals(api, requester):
    api.force_authenticate(requester)
    for url in ("known-errors/", "known-errors/suggestions/?service=1", "proposals/"):
        assert api.get(f"{BASE}/{url}").status_code == 403, url


# --- suggestions ----------------------------------------------------------------------------------

def test_suggestions_for_an_incident_come_best_match_first(agent_api, agent, problem_manager):
    service = make_service(name="Mail")
    relay, database = make_ci(name="relay-1"), make_ci(name="mail-db")
    link(relay, database)  # the relay depends on the database
    on_database = publish(problem_manager, make_problem(agent, short_description="DB locks", cis=[database]))
    on_relay = publish(problem_manager, make_problem(agent, short_description="Relay leaks", cis=[relay]))
    on_service = publish(problem_manager, make_problem(agent, short_description="Mail slow", service=service))
    publish(problem_manager, make_problem(agent, short_description="Elsewhere", cis=[make_ci(name="other")]))
    incident = make_incident(agent, service=service, cis=[relay])

    found = agent_api.get(f"{BASE}/known-errors/suggestions/?incident={incident.pk}").json()

    assert [(s["known_error"]["id"], s["match"]) for s in found] == [
        (on_relay.pk, 0), (on_service.pk, 1), (on_database.pk, 2)]
    assert found[0]["via"] == "relay-1" and found[0]["known_error"]["workaround"] == "Restart the mail relay."
    by_ci = agent_api.get(f"{BASE}/known-errors/suggestions/?ci={database.pk}&limit=1").json()
    assert [s["known_error"]["id"] for s in by_ci] == [on_database.pk]


def test_suggestions_refuse_bad_questions(agent_api):
    assert agent_api.get(f"{BASE}/known-errors/suggestions/?incident=999999").status_code == 404
    for query in ("colour=red", "ci=abc", "limit=50"):
        response = agent_api.get(f"{BASE}/known-errors/suggestions/?{query}")
        assert response.status_code == 400, query
    assert agent_api.get(f"{BASE}/known-errors/suggestions/").json() == []


def test_suggestions_cost_the_same_queries_for_few_and_many_matches(agent_api, agent, problem_manager):
    service = make_service(name="Mail")
    cis = [make_ci(name=f"ci {n}") for n in range(4)]
    incident = make_incident(agent, service=service, cis=cis)
    publish(problem_manager, make_problem(agent, cis=cis[:1]))
    url = f"{BASE}/known-errors/suggestions/?incident={incident.pk}"
    few = query_count(agent_api, url)
    for ci in cis:
        publish(problem_manager, make_problem(agent, cis=[ci], service=service))
    many = query_count(agent_api, url)
    assert many == few and len(agent_api.get(url).json()) == 5


# --- proposals ------------------------------------------------------------------------------------

def recurring(agent, count=3, name="Printer 4F"):
    printer, printing = make_ci(name=name), Category.objects.get_or_create(name="Printing")[0]
    incidents = [make_incident(agent, short_description=f"Paper jam {n}", cis=[printer], category=printing)
                 for n in range(count)]
    services.trend_detect(threshold=3)
    return TrendProposal.objects.get(ci=printer), incidents


def test_proposals_are_read_with_their_incidents_and_why(agent_api, agent):
    proposal, incidents = recurring(agent)

    listed = agent_api.get(f"{BASE}/proposals/?state=pending").json()["results"]
    assert [(row["id"], row["incident_count"], row["state"]) for row in listed] == [(proposal.pk, 3, "pending")]
    detail = agent_api.get(f"{BASE}/proposals/{proposal.pk}/").json()
    assert sorted(i["id"] for i in detail["incidents"]) == sorted(i.pk for i in incidents)
    assert detail["explanation"] and detail["basis"] == "ci_category"


def test_a_problem_manager_accepts_a_proposal_into_a_problem_with_its_incidents(manager_api, agent_api, agent):
    proposal, incidents = recurring(agent)

    with assert_nothing_written(Problem):
        assert agent_api.post(f"{BASE}/proposals/{proposal.pk}/accept/", {}, format="json").status_code == 403
    response = manager_api.post(f"{BASE}/proposals/{proposal.pk}/accept/", {"short_description": "Printer jams"},
                                format="json")

    assert response.status_code == 201, response.json()
    problem = response.json()
    assert (problem["short_description"], problem["source"], problem["incident_count"]) == (
        "Printer jams", "trend_proposal", 3)
    decided = manager_api.get(f"{BASE}/proposals/{proposal.pk}/").json()
    assert (decided["state"], decided["problem"]["id"], decided["decided_by"]["username"]) == (
        "accepted", problem["id"], "pm")
    again = manager_api.post(f"{BASE}/proposals/{proposal.pk}/dismiss/", {"reason": "late"}, format="json")
    assert again.status_code == 409


def test_dismissing_a_proposal_needs_a_reason(manager_api, agent):
    proposal, _ = recurring(agent)

    with assert_nothing_written(TrendProposal):
        refused = manager_api.post(f"{BASE}/proposals/{proposal.pk}/dismiss/", {"reason": " "}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"]

    dismissed = manager_api.post(f"{BASE}/proposals/{proposal.pk}/dismiss/", {"reason": "Printer being replaced"},
                                 format="json")
    assert dismissed.status_code == 200
    assert (dismissed.json()["state"], dismissed.json()["dismiss_reason"]) == ("dismissed", "Printer being replaced")
    assert TrendProposal.objects.get().state == ProposalState.DISMISSED and not ProblemIncident.objects.exists()


def test_the_proposal_list_costs_the_same_queries_for_few_and_many(agent_api, agent, problem_manager):
    recurring(agent, name="Printer 1")
    few = query_count(agent_api, f"{BASE}/proposals/")
    for n in range(2, 5):
        recurring(agent, name=f"Printer {n}")
    services.proposal_dismiss(actor=problem_manager, proposal=TrendProposal.objects.first(), reason="Known")
    assert query_count(agent_api, f"{BASE}/proposals/") == few
    assert agent_api.get(f"{BASE}/proposals/").json()["count"] == TrendProposal.objects.count() >= 4
