"""The triage queue: open incidents without an assignment group (?queue=triage), and the
filter value ?assignment_group=none behind it, on the list page and in the API."""

import re

import pytest
from django.urls import reverse

from incidents import services
from tests.incidents.factories import make_incident, make_team_with, resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(agent, requester):
    desk = make_team_with(agent, name="Service desk")
    portal = services.incident_create(actor=requester, data={"short_description": "Printer jammed"})
    phoned = make_incident(agent, short_description="Phone call, no group yet")
    grouped = make_incident(agent, assignment_group=desk, short_description="Grouped")
    solved = make_incident(agent, short_description="Solved without a group")
    resolve(agent, solved)
    return {"portal": portal, "phoned": phoned, "grouped": grouped, "solved": solved}


def numbers(response):
    return sorted(incident.number for incident in response.context["object_list"])


def test_the_triage_queue_lists_the_open_incidents_without_a_group(client, agent, incidents):
    client.force_login(agent)

    response = client.get(reverse("incident_list"), {"queue": "triage"})

    assert numbers(response) == sorted([incidents["portal"].number, incidents["phoned"].number])
    tab = next(tab for tab in response.context["queue_tabs"] if tab["value"] == "triage")
    assert (tab["active"], tab["count"], str(tab["label"])) == (True, 2, "Triage (no group)")


def test_assignment_group_none_filters_the_list_and_the_api(client, api, auditor, incidents):
    client.force_login(auditor)  # auditors read the queue too

    page = client.get(reverse("incident_list"), {"assignment_group": "none", "state": ["new"]})

    assert numbers(page) == sorted([incidents["portal"].number, incidents["phoned"].number])
    assert '<option value="none" selected>(no group)</option>' in page.content.decode()

    api.force_authenticate(auditor)
    body = api.get("/api/v1/incidents/", {"assignment_group": "none"}).json()
    assert sorted(row["number"] for row in body["results"]) == sorted(
        [incidents["portal"].number, incidents["phoned"].number, incidents["solved"].number])
    assert api.get("/api/v1/incidents/", {"assignment_group": "nobody"}).status_code == 400


def test_a_rule_keeps_the_triage_queue_empty(client, agent, admin_user, requester):
    desk = make_team_with(agent, name="Service desk")
    services.assignment_rule_create(actor=admin_user, data={"name": "Everything to the desk",
                                                            "assignment_group": desk})
    services.incident_create(actor=requester, data={"short_description": "Printer jammed"})
    client.force_login(agent)

    assert numbers(client.get(reverse("incident_list"), {"queue": "triage"})) == []


ACTIVE_ITEM = r'<a class="dropdown-item active" href="([^"]+)" aria-current="page"'


def test_the_service_desk_menu_leads_agents_to_the_triage_queue_and_marks_it(client, agent, auditor, incidents):
    client.force_login(agent)
    home = client.get(reverse("home")).content.decode()
    items = dict(re.findall(r'<a class="dropdown-item[^"]*" href="([^"]+)"[^>]*>(.*?)</a>', home, re.S))
    link = next(href for href, text in items.items() if "Triage (no group)" in text)

    triage = client.get(link.replace("&amp;", "&"))
    queue = client.get(reverse("incident_list"))

    assert link == f"{reverse('incident_list')}?queue=triage"
    assert triage.context["queue"] == "triage"
    assert numbers(triage) == sorted([incidents["portal"].number, incidents["phoned"].number])
    # the most specific item is the current one: Triage on the triage queue, Incidents elsewhere
    assert re.findall(ACTIVE_ITEM, triage.content.decode()) == [link]
    assert re.findall(ACTIVE_ITEM, queue.content.decode()) == [reverse("incident_list")]
    client.force_login(auditor)  # reads the queues, triages nothing
    assert "Triage (no group)" not in client.get(reverse("home")).content.decode()
