"""The agents' SLA clocks: the incident page's "Service levels" card with its explanation,
the queue's compact clock, the time-to-breach sort, the at-risk queue and the timers API."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from itsm.services import system_actor
from slas import services as sla
from slas.models import Calendar, Timer
from tests.incidents.factories import make_incident, make_team_with

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def targets(db):
    system = system_actor()
    agreement = sla.agreement_create(actor=system, data={"name": "Standard", "valid_from": date(2020, 1, 1)})
    always = Calendar.objects.get(name="24×7")
    common = {"agreement": agreement, "calendar": always, "record_type": "incident", "pause_states": ["on_hold"]}
    sla.target_create(actor=system, data={**common, "name": "Respond", "metric": "response", "goal": 6 * H})
    sla.target_create(actor=system, data={**common, "name": "Resolve", "metric": "resolution", "goal": 8 * H})
    sla.target_create(actor=system, data={**common, "name": "Resolve P1", "metric": "resolution", "goal": 2 * H,
                                          "priorities": [1]})


def numbers(response):
    return [incident.number for incident in response.context["object_list"]]


def shift(incident, hours):
    """Make the incident's timers as if it was logged `hours` ago (moves the clock's past)."""
    for timer in Timer.objects.filter(object_id=incident.pk):
        delta = timedelta(hours=hours)
        Timer.objects.filter(pk=timer.pk).update(
            started_at=timer.started_at - delta, counted_until=timer.counted_until - delta,
            due_at=timer.due_at - delta if timer.due_at else None, next_check_at=timezone.now())
        timer.events.all().update(at=timer.events.first().at - delta)


def test_the_incident_page_shows_each_clock_and_explains_it(client, agent, targets):
    incident = make_incident(agent, impact=3, urgency=3)
    incident = services.incident_transition(actor=agent, incident=incident, name="start")
    incident = services.incident_transition(actor=agent, incident=incident, name="hold",
                                            data={"on_hold_reason": "awaiting_vendor"})
    client.force_login(agent)

    response = client.get(reverse("incident_detail", args=[incident.pk]))

    page = response.content.decode()
    clocks = {c["timer"].metric: c for c in response.context["sla_clocks"]}
    assert [c["metric"] for c in response.context["sla_clocks"]] == ["Response", "Resolution"]
    assert clocks["response"]["timer"].state == "met" and clocks["resolution"]["timer"].state == "paused"
    assert "Paused: Awaiting vendor (8 h left)" in page
    assert "Respond · goal 6 h" in page
    assert [line["event"].kind for line in clocks["resolution"]["events"]] == ["start", "pause"]
    assert clocks["resolution"]["events"][1]["detail"] == "Awaiting vendor"
    assert len(clocks["resolution"]["intervals"]) == 1 and not clocks["resolution"]["intervals"][0]["interval"].ongoing
    assert 'id="sla-clocks"' in page and "Calendar segments counted (24×7, version 1)" in page
    assert 'data-sla-state="met"' in page and "Explain" in page


def test_a_running_clock_counts_down_from_its_due_instant(client, agent, targets):
    incident = make_incident(agent, impact=3, urgency=3)
    client.force_login(agent)

    response = client.get(reverse("incident_detail", args=[incident.pk]))

    resolution = Timer.objects.get(object_id=incident.pk, metric="resolution")
    page = response.content.decode()
    assert f'data-sla-due="{timezone.localtime(resolution.due_at).isoformat()}"' in page
    assert "7 h 59 min left" in page or "8 h left" in page
    assert 'data-sla-percent="0"' in page


def test_an_incident_without_a_target_says_so(client, agent):
    incident = make_incident(agent)
    client.force_login(agent)

    response = client.get(reverse("incident_detail", args=[incident.pk]))

    assert "No service level target applies to this incident." in response.content.decode()


def test_the_queue_sorts_by_time_to_breach_and_shows_a_compact_clock(client, agent, targets):
    later = make_incident(agent, impact=3, urgency=3, short_description="later")  # 8 h
    soon = make_incident(agent, impact=1, urgency=1, short_description="soon")  # P1: 2 h
    paused = make_incident(agent, impact=3, urgency=3, short_description="paused")
    services.incident_transition(actor=agent, incident=paused, name="hold", data={"on_hold_reason": "awaiting_caller"})
    client.force_login(agent)

    ascending = client.get(reverse("incident_list"), {"queue": "open", "sort": "breach"})
    descending = client.get(reverse("incident_list"), {"queue": "open", "sort": "-breach"})

    assert numbers(ascending) == [soon.number, later.number, paused.number]
    assert numbers(descending) == [later.number, soon.number, paused.number]  # no live clock: last either way
    page = ascending.content.decode()
    assert "Time to breach" in page
    assert 'data-sla-badge="running"' in page and 'data-sla-badge="paused"' in page
    assert "1 h 59 min left" in page or "2 h left" in page


def test_the_at_risk_queue_holds_near_and_warned_incidents_soonest_first_not_breached_ones(client, agent, targets):
    team = make_team_with(agent)
    safe = make_incident(agent, impact=3, urgency=3, short_description="safe")  # due in 8 h
    near = make_incident(agent, impact=1, urgency=1, short_description="near")  # due in 2 h
    warned = make_incident(agent, impact=3, urgency=3, assignment_group=team, short_description="warned")
    services.incident_transition(actor=agent, incident=warned, name="start")
    shift(warned, 5)  # logged 5 h ago: 62 % of the 8 h resolution goal, due in 3 h
    old = make_incident(agent, impact=3, urgency=3, assignment_group=team, short_description="old")
    services.incident_transition(actor=agent, incident=old, name="start")
    shift(old, 10)  # logged 10 h ago: 8 h resolution goal exceeded
    sla.timers_sweep(now=timezone.now())
    resolved = make_incident(agent, impact=1, urgency=1, short_description="resolved")
    services.incident_transition(actor=agent, incident=resolved, name="cancel")
    client.force_login(agent)

    response = client.get(reverse("incident_list"), {"queue": "at_risk"})

    # Breached is not "at risk" (slas.models.TimerQuerySet.at_risk, as on the SLA dashboard).
    assert Timer.objects.get(object_id=old.pk, metric="resolution").state == "breached"
    assert numbers(response) == [near.number, warned.number]
    assert safe.number not in numbers(response)
    assert response.context["current_sort"] == "breach"
    assert response.context["at_risk_tab"]["count"] == 2
    assert 'data-sla-badge="running"' in response.content.decode()


def test_the_api_filters_the_at_risk_queue(api, agent, targets):
    near = make_incident(agent, impact=1, urgency=1)
    make_incident(agent, impact=3, urgency=3)
    api.force_authenticate(agent)

    response = api.get("/api/v1/incidents/", {"queue": "at_risk"})

    assert [row["number"] for row in response.json()["results"]] == [near.number]


def test_the_api_lists_the_timers_with_their_explanation(api, agent, targets):
    incident = make_incident(agent, impact=3, urgency=3)
    services.incident_transition(actor=agent, incident=incident, name="start")
    api.force_authenticate(agent)

    response = api.get(f"/api/v1/incidents/{incident.pk}/timers/")

    assert response.status_code == 200
    timers = {t["metric"]: t for t in response.json()}
    assert timers["response"]["state"] == "met" and timers["resolution"]["state"] == "running"
    assert timers["resolution"]["goal"] == "08:00:00"
    assert timers["resolution"]["target"]["name"] == "Resolve"
    assert [e["kind"] for e in timers["response"]["events"]] == ["start", "stop"]
    assert timers["response"]["events"][1]["cause"].endswith(f"({agent.username})")
    [interval] = timers["resolution"]["intervals"]
    assert interval["ongoing"] is True and len(interval["segments"]) >= 1


def test_requesters_may_not_read_the_timers(api, agent, requester, targets):
    incident = make_incident(agent, caller=requester)
    api.force_authenticate(requester)

    assert api.get(f"/api/v1/incidents/{incident.pk}/timers/").status_code == 403


def test_the_api_orders_by_time_to_breach(api, agent, targets):
    later = make_incident(agent, impact=3, urgency=3)
    soon = make_incident(agent, impact=1, urgency=1)
    paused = make_incident(agent, impact=3, urgency=3)
    services.incident_transition(actor=agent, incident=paused, name="hold", data={"on_hold_reason": "awaiting_caller"})
    api.force_authenticate(agent)

    ascending = api.get("/api/v1/incidents/", {"ordering": "time_to_breach"}).json()["results"]
    descending = api.get("/api/v1/incidents/", {"ordering": "-time_to_breach"}).json()["results"]

    assert [row["number"] for row in ascending] == [soon.number, later.number, paused.number]
    assert [row["number"] for row in descending] == [later.number, soon.number, paused.number]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_countdown_ticks_and_the_bar_is_drawn_in_a_browser(page, sign_in, make_user):
    from playwright.sync_api import expect

    from itsm.choices import Role

    agent = make_user(Role.AGENT, username="agent")
    system = system_actor()
    agreement = sla.agreement_create(actor=system, data={"name": "Standard", "valid_from": date(2020, 1, 1)})
    sla.target_create(actor=system, data={"agreement": agreement, "calendar": Calendar.objects.get(name="24×7"),
                                          "record_type": "incident", "name": "Resolve", "metric": "resolution",
                                          "goal": 2 * H})
    incident = make_incident(agent)
    shift(incident, 1.5)  # 75 % used: orange
    sign_in(page, agent)

    page.goto(reverse("incident_detail", args=[incident.pk]))

    countdown = page.locator("#sla-clocks .sla-countdown")
    expect(countdown).to_have_text(re.compile(r"^29 min \d+ s left$"))
    first = countdown.text_content()
    expect(countdown).not_to_have_text(first)  # it ticks
    bar = page.locator("#sla-clocks .progress-bar")
    assert bar.get_attribute("class").split()[-1] == "bg-orange"
    assert 70 < bar.evaluate("b => b.getBoundingClientRect().width / b.parentElement.getBoundingClientRect().width") * 100 < 80
    page.get_by_text("Explain").click()
    expect(page.locator("#sla-clocks [data-sla-event=start]")).to_be_visible()


def test_a_requester_s_at_risk_queue_is_empty(api, agent, requester, targets):
    make_incident(agent, impact=1, urgency=1, caller=requester)  # due within 2 h
    api.force_authenticate(requester)

    response = api.get("/api/v1/incidents/", {"queue": "at_risk"})

    assert response.json()["results"] == []
