"""The start page shows each person the incident figures that matter to them."""

import pytest

from incidents import services
from tests.incidents.factories import make_incident, make_team_with

pytestmark = pytest.mark.django_db


def test_agents_see_their_queues_counted(client, agent, make_user):
    colleague = make_user("agent", username="colleague")
    team = make_team_with(agent, colleague)
    make_incident(agent, assignment_group=team, assignee=agent)
    make_incident(agent, assignment_group=team)
    major = make_incident(agent, assignment_group=team, assignee=colleague)
    services.incident_promote_major(actor=agent, incident=major, reason="Site down")
    client.force_login(agent)

    panel = client.get("/").context["panels"][0][1]

    assert panel == {"mine": 1, "unassigned": 1, "open": 3, "major": 1}


def test_requesters_see_their_own_open_incidents(client, agent, requester):
    make_incident(agent, caller=requester)
    make_incident(agent)
    client.force_login(requester)

    response = client.get("/")

    assert response.context["panels"][0][1] == {"portal": True, "own_open": 1}
    assert b"Report an incident" in response.content
