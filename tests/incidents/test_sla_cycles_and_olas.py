"""Incidents with cycles and operational level timers (issue 17), through the API and the
incident page: the caller's public comment is a customer reply (a new response cycle for a
target that restarts on it), the service desk's reply stops it; a reopened incident starts a new
resolution cycle; each assignment group with an OLA target gets its own timer while it holds the
incident, shown beside the customer's clocks; the queue's SLA column and the at-risk tab keep
to the customer's clocks."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from incidents.models import Incident
from incidents.selectors import clocks_of
from itsm.services import system_actor
from slas import services as sla
from slas.models import Calendar, Timer
from tests.incidents.factories import make_team_with

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
INCIDENTS = "/api/v1/incidents"
SLAS = "/api/v1/slas"


@pytest.fixture
def agreement(db):
    return sla.agreement_create(actor=system_actor(), data={"name": "Standard", "valid_from": date(2020, 1, 1)})


@pytest.fixture
def always(db):
    return Calendar.objects.get(name="24×7")


@pytest.fixture
def groups(agent):
    return {"desk": make_team_with(agent, name="Service desk"), "network": make_team_with(agent, name="Network")}


def target(api, admin_user, agreement, always, **data):
    api.force_authenticate(admin_user)
    answer = api.post(f"{SLAS}/targets/", {"agreement": agreement.pk, "record_type": "incident",
                                           "calendar": always.pk, "goal": "04:00:00", **data}, format="json")
    assert answer.status_code == 201, answer.json()
    return answer.json()


def log(api, user, requester, **data):
    api.force_authenticate(user)
    answer = api.post(f"{INCIDENTS}/", {"short_description": "VPN drops", "caller": requester.pk, **data},
                      format="json")
    assert answer.status_code == 201, answer.json()
    return answer.json()


def comment(api, user, incident, body="Any news?"):
    api.force_authenticate(user)
    answer = api.post(f"{INCIDENTS}/{incident['id']}/comments/", {"body": body}, format="json")
    assert answer.status_code == 201, answer.json()


def step(api, user, incident, name, **data):
    api.force_authenticate(user)
    answer = api.post(f"{INCIDENTS}/{incident['id']}/transition/", {"transition": name, "data": data}, format="json")
    assert answer.status_code == 200, answer.json()


def assign(api, user, incident, group, assignee=None):
    api.force_authenticate(user)
    answer = api.post(f"{INCIDENTS}/{incident['id']}/assign/", {"assignment_group": group.pk, "assignee": assignee},
                      format="json")
    assert answer.status_code == 200, answer.json()


def timers(api, agent, incident):
    api.force_authenticate(agent)
    answer = api.get(f"{INCIDENTS}/{incident['id']}/timers/")
    assert answer.status_code == 200
    return answer.json()


def test_each_customer_reply_after_an_answer_starts_a_response_cycle_that_the_next_answer_stops(
        api, admin_user, agent, requester, agreement, always):
    target(api, admin_user, agreement, always, name="Answer each reply", metric="response", goal="01:00:00",
           restart="customer_reply", cycle_counting="every")
    incident = log(api, agent, requester)

    comment(api, agent, incident, "Looking into it.")  # the first response: cycle 1 met
    comment(api, requester, incident, "Still broken.")  # a customer reply: cycle 2
    comment(api, requester, incident, "Hello?")  # unanswered still: the same cycle
    api.force_authenticate(agent)
    internal = api.post(f"{INCIDENTS}/{incident['id']}/comments/", {"body": "note", "internal": True}, format="json")
    assert internal.status_code == 201  # a work note answers nobody
    between = timers(api, agent, incident)
    comment(api, agent, incident, "Restarted the tunnel.")  # answered: cycle 2 met

    after = timers(api, agent, incident)
    assert [(t["cycle"], t["is_current"], t["state"]) for t in between] == [(1, False, "met"), (2, True, "running")]
    assert [(t["cycle"], t["is_current"], t["state"], t["kind"]) for t in after] == [
        (1, False, "met", "sla"), (2, True, "met", "sla")]
    assert after[1]["cycle_text"] == "Cycle 2, started again on a customer reply"
    assert after[1]["events"][-1]["data"]["why"] == "answered"
    read = api.get(f"{SLAS}/timers/", {"record_type": "incident", "object_id": incident["id"]}).json()["results"]
    assert {len(t["cycles"]) for t in read} == {2}


def test_a_reopened_incident_starts_a_new_resolution_cycle_and_only_the_last_counts(
        api, admin_user, agent, requester, agreement, always):
    target(api, admin_user, agreement, always, name="Resolve", metric="resolution", restart="reopen",
           cycle_counting="last")
    incident = log(api, agent, requester)
    resolution = {"resolution_code": "solved_permanently", "resolution_notes": "Restarted."}
    step(api, agent, incident, "resolve", **resolution)
    step(api, requester, incident, "reopen")
    between = timers(api, agent, incident)
    step(api, agent, incident, "resolve", **resolution)

    after = timers(api, agent, incident)
    assert [(t["cycle"], t["state"], t["counts"]) for t in between] == [(1, "met", False), (2, "running", True)]
    assert [(t["cycle"], t["state"], t["counts"]) for t in after] == [(1, "met", False), (2, "met", True)]


def test_a_groups_timer_runs_while_it_holds_the_incident_beside_the_customers(
        api, client, admin_user, agent, requester, agreement, always, groups):
    target(api, admin_user, agreement, always, name="Customer resolution", metric="resolution", goal="08:00:00")
    target(api, admin_user, agreement, always, name="Network OLA", metric="resolution", kind="ola",
           team=groups["network"].pk, goal="02:00:00", restart="reopen")
    incident = log(api, agent, requester, assignment_group=groups["desk"].pk)
    assign(api, agent, incident, groups["network"])
    assign(api, agent, incident, groups["desk"])
    assign(api, agent, incident, groups["network"], assignee=agent.pk)

    clocks = timers(api, agent, incident)
    assert [(t["kind"], t["ola_team_name"], t["cycle"], t["state"]) for t in clocks] == [
        ("sla", None, 1, "running"), ("ola", "Network", 1, "met"), ("ola", "Network", 2, "running")]
    assert clocks[1]["scope_text"] == "Operational level of Network"
    assert clocks[1]["events"][-1]["data"]["why"] == "handed_on"

    client.force_login(agent)
    page = client.get(reverse("incident_detail", args=[incident["id"]]))
    html = page.content.decode()
    assert 'data-sla-column="sla"' in html and 'data-sla-column="ola"' in html  # side by side
    items = page.context["sla_clocks"]
    assert [(i["scope"], i["group"], i["timer"].cycle) for i in items] == [("sla", "", 1), ("ola", "Network", 2)]
    assert [part["timer"].cycle for part in items[1]["cycles"]] == [1, 2]
    assert "Operational level of Network" in html and 'data-sla-cycle-row="1"' in html

    queue = client.get(reverse("incident_list"), {"queue": "open"})
    assert queue.status_code == 200
    # The queue's SLA column shows the customer's clock, never a group's.
    row = clocks_of([Incident.objects.get(pk=incident["id"])])[incident["id"]]
    assert (row.kind, row.metric) == ("sla", "resolution")


def test_a_page_without_group_timers_keeps_its_clocks_in_the_side_column(client, api, admin_user, agent, requester,
                                                                         agreement, always):
    target(api, admin_user, agreement, always, name="Resolve", metric="resolution")
    incident = log(api, agent, requester)

    client.force_login(agent)
    html = client.get(reverse("incident_detail", args=[incident["id"]])).content.decode()

    assert 'id="sla-clocks"' in html and "data-sla-column" not in html
    assert Timer.objects.filter(object_id=incident["id"], kind="ola").count() == 0
