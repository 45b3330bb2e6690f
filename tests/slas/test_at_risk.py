""""At risk" is one definition (slas.models.TimerQuerySet.at_risk): the incident queue's At risk
tab and the SLA dashboard's "At risk now" list and count the same clocks."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from itsm.services import system_actor
from slas import reports
from slas import services as sla
from slas.models import Calendar, Timer
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def clocks(agent):
    """One incident per case, on a 24×7 calendar: response 12 h; resolution 24 h, P1 2 h."""
    system = system_actor()
    agreement = sla.agreement_create(actor=system, data={"name": "Standard", "valid_from": date(2020, 1, 1)})
    common = {"agreement": agreement, "calendar": Calendar.objects.get(name="24×7"), "record_type": "incident",
              "pause_states": ["on_hold"]}
    sla.target_create(actor=system, data={**common, "name": "Respond", "metric": "response", "goal": 12 * H})
    sla.target_create(actor=system, data={**common, "name": "Resolve", "metric": "resolution", "goal": 24 * H})
    sla.target_create(actor=system, data={**common, "name": "Resolve P1", "metric": "resolution", "goal": 2 * H,
                                          "priorities": [1]})

    def logged(name, *, hours_ago=0, p1=False, start=True):
        incident = make_incident(agent, short_description=name, impact=1 if p1 else 3, urgency=1 if p1 else 3)
        if start:  # the first response: the response clock is met
            incident = services.incident_transition(actor=agent, incident=incident, name="start")
        shift(incident, hours_ago)
        return incident

    cases = {
        "safe": logged("safe"),  # resolution due in 24 h, no warning
        "warned": logged("warned", hours_ago=13),  # 54 % of 24 h: the 50 % warning; due in 11 h
        "near": logged("near", p1=True),  # due in 2 h, no warning yet
        "breached": logged("breached", hours_ago=30),  # breached: not "at risk" any more
        "paused": logged("paused", p1=True),
    }
    services.incident_transition(actor=agent, incident=cases["paused"], name="hold",
                                 data={"on_hold_reason": "awaiting_caller"})
    sla.timers_sweep(now=timezone.now())
    return cases


def shift(incident, hours):
    """The incident's timers as if it had been logged `hours` ago."""
    delta = timedelta(hours=hours)
    for timer in Timer.objects.filter(object_id=incident.pk):
        Timer.objects.filter(pk=timer.pk).update(
            started_at=timer.started_at - delta, counted_until=timer.counted_until - delta,
            due_at=timer.due_at - delta if timer.due_at else None, next_check_at=timezone.now())
        for event in timer.events.all():
            timer.events.filter(pk=event.pk).update(at=event.at - delta)


def test_the_queue_and_the_dashboard_agree_on_what_is_at_risk(client, agent, clocks):
    client.force_login(agent)

    queue = client.get(reverse("incident_list"), {"queue": "at_risk"})
    dashboard = client.get(reverse("sla_dashboard"))

    expected = {clocks["warned"].number, clocks["near"].number}
    assert Timer.objects.get(object_id=clocks["breached"].pk, metric="resolution").state == "breached"
    assert Timer.objects.get(object_id=clocks["warned"].pk, metric="resolution").escalations.exists()
    assert {incident.number for incident in queue.context["object_list"]} == expected
    assert {row["record"] for row in dashboard.context["at_risk"]} == expected
    assert queue.context["at_risk_tab"]["count"] == dashboard.context["at_risk_total"] == 2
    assert '<div class="h1 mb-0" id="at-risk-total">2</div>' in dashboard.content.decode()


def test_the_dashboard_counts_every_timer_at_risk_beyond_the_listed_ones(agent, clocks):
    filters = reports.Filters(*reports.this_month())

    rows = reports.at_risk(filters, limit=1)

    assert [row["record"] for row in rows] == [clocks["near"].number]  # soonest due first
    assert reports.at_risk_count(filters) == 2
    assert reports.at_risk_count(filters, now=timezone.now() + 21 * H) == 3  # "safe" is due within 4 h then
