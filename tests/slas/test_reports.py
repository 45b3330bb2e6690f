"""SLA reports (slas/reports.py) and their API, on a small fixture made through the real engine.

The fixture logs five incidents now, moves them through incidents.services, lets the sweep
breach what is due 1.5 h and 9 h later, pins the elapsed times of the stopped timers, and
finally shifts every timer instant so that "now" reads 2026-11-10 12:00 UTC (a Tuesday):
the numbers below do not depend on the day the tests run.

Outcome of the fixture (Acme's agreement: respond in 1 h, resolve in 8 h; Globex falls under
the provider's "Standard": respond in 4 h, resolve in 24 h):
- i1 (Acme, mail, Network): responded and resolved at once — response met (0.5 h), resolution met (2 h);
- i2 (Acme, mail, Network): responded after the breach — response breached (1.5 h); resolved — met (4 h);
- i3 (Acme, mail, no team): held (a response) after its response breach, then resumed — response
  breached (2.5 h); resolution breached, still live;
- i4 (Acme): cancelled — excluded;
- i5 (Globex): response breached, live; resolution running at 37.5 %.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from incidents import services as incidents
from itsm.services import system_actor
from slas import reports
from slas import services as sla
from slas.models import Calendar, Timer, TimerEvent
from tests.config_items.factories import make_service
from tests.factories import CustomerFactory
from tests.incidents.factories import make_incident, make_team_with, resolve

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
NOVEMBER = reports.Filters(start=date(2026, 11, 1), end=date(2026, 11, 30))


def make_agreements(services=()):
    system = system_actor()
    always = Calendar.objects.get(name="24×7")
    acme, globex = CustomerFactory(name="Acme"), CustomerFactory(name="Globex")
    gold = sla.agreement_create(actor=system, data={"name": "Acme Gold", "customer": acme,
                                                    "valid_from": date(2020, 1, 1), "services": list(services)})
    standard = sla.agreement_create(actor=system, data={"name": "Standard", "valid_from": date(2020, 1, 1)})
    for agreement, respond, solve in ((gold, H, 8 * H), (standard, 4 * H, 24 * H)):
        common = {"agreement": agreement, "calendar": always, "record_type": "incident"}
        sla.target_create(actor=system, data={**common, "name": f"{agreement.name} respond", "metric": "response",
                                              "goal": respond})
        sla.target_create(actor=system, data={**common, "name": f"{agreement.name} resolve",
                                              "metric": "resolution", "goal": solve, "pause_states": ["on_hold"]})
    return {"acme": acme, "globex": globex, "gold": gold, "standard": standard}


def timer(incident, metric):
    return Timer.objects.get(object_id=incident.pk, metric=metric)


def shift_to(now, fixed):
    delta = fixed - now
    Timer.objects.update(**{name: F(name) + delta for name in (
        "started_at", "stopped_at", "counted_until", "due_at", "breached_at")}, next_check_at=None)
    TimerEvent.objects.update(at=F("at") + delta)


@pytest.fixture
def world(agent):
    mail = make_service(name="Mail")
    made = make_agreements(services=[mail])
    acme, globex = made["acme"], made["globex"]
    network = make_team_with(agent, name="Network")
    acme_data = {"customer": acme, "service": mail}
    now = timezone.now()
    i1 = make_incident(agent, assignment_group=network, **acme_data)
    i2 = make_incident(agent, assignment_group=network, **acme_data)
    i3 = make_incident(agent, **acme_data)
    i4 = make_incident(agent, **acme_data)
    i5 = make_incident(agent, customer=globex)

    i1 = incidents.incident_transition(actor=agent, incident=i1, name="start")
    resolve(agent, i1)
    incidents.incident_transition(actor=agent, incident=i4, name="cancel")
    sla.timers_sweep(now=now + 1.5 * H)
    i3 = incidents.incident_transition(actor=agent, incident=i3, name="hold",
                                       data={"on_hold_reason": "awaiting_vendor"})
    incidents.incident_transition(actor=agent, incident=i3, name="resume")
    i2 = incidents.incident_transition(actor=agent, incident=i2, name="start")
    resolve(agent, i2)
    sla.timers_sweep(now=now + 9 * H)
    for incident, metric, hours in ((i1, "response", 0.5), (i1, "resolution", 2), (i2, "response", 1.5),
                                    (i2, "resolution", 4), (i3, "response", 2.5)):
        Timer.objects.filter(pk=timer(incident, metric).pk).update(elapsed=hours * H)
    shift_to(now, NOW)
    return {**made, "mail": mail, "network": network, "incidents": [i1, i2, i3, i4, i5]}


def test_the_fixture_holds_what_the_module_docstring_says(world):
    i1, i2, i3, i4, i5 = world["incidents"]

    states = {(n, m): timer(i, m).state for n, i in enumerate(world["incidents"], 1)
              for m in ("response", "resolution")}

    assert states == {(1, "response"): "met", (1, "resolution"): "met", (2, "response"): "breached",
                      (2, "resolution"): "met", (3, "response"): "breached", (3, "resolution"): "breached",
                      (4, "response"): "cancelled", (4, "resolution"): "cancelled", (5, "response"): "breached",
                      (5, "resolution"): "running"}


def test_attainment_counts_met_and_breached_live_ones_too_and_leaves_out_cancelled(world):
    assert reports.totals(NOVEMBER) == {"met": 3, "breached": 4, "total": 7, "attainment": 42.9}


def test_attainment_by_customer_service_team_priority_and_month(world):
    i1 = world["incidents"][0]

    by = {group: [(r["label"], r["met"], r["breached"], r["attainment"]) for r in reports.attainment(NOVEMBER, group)]
          for group in reports.GROUPS}

    assert by["customer"] == [("Acme", 3, 3, 50.0), ("Globex", 0, 1, 0.0)]
    assert by["service"] == [("Mail", 3, 3, 50.0), ("(none)", 0, 1, 0.0)]
    assert by["team"] == [("Network", 3, 1, 75.0), ("(none)", 0, 3, 0.0)]
    assert by["priority"] == [(f"P{i1.priority}", 3, 4, 42.9)]
    assert by["month"] == [("2026-11", 3, 4, 42.9)]


def test_filters_narrow_the_timers(world):
    response = reports.Filters(start=NOVEMBER.start, end=NOVEMBER.end, metric="response")
    acme = reports.Filters(start=NOVEMBER.start, end=NOVEMBER.end, customer=world["acme"].pk)
    october = reports.Filters(start=date(2026, 10, 1), end=date(2026, 10, 31))

    assert (reports.totals(response)["met"], reports.totals(response)["breached"]) == (1, 3)
    assert reports.totals(acme)["attainment"] == 50.0
    assert reports.totals(october) == {"met": 0, "breached": 0, "total": 0, "attainment": None}


def test_weekly_trend_starts_on_monday(world):
    assert reports.weekly_trend(NOVEMBER) == [{"week": "2026-11-09", "met": 3, "breached": 4, "attainment": 42.9}]


def test_mean_and_p90_business_hours_of_the_stopped_timers(world):
    rows = [(r["key"], r["count"], r["mean_hours"], r["p90_hours"]) for r in reports.durations(NOVEMBER)]

    assert rows == [("resolution", 2, 3.0, 4.0), ("response", 3, 1.5, 2.5)]


def test_breaches_latest_first_with_their_causes_and_links(world):
    i1, i2, i3, i4, i5 = world["incidents"]

    rows = reports.breaches(NOVEMBER)

    assert [(r["record"], r["metric"]) for r in rows] == [
        (i3.number, "resolution"), (i5.number, "response"), (i3.number, "response"), (i2.number, "response")]
    held = rows[0]
    assert held["url"] == reverse("incident_detail", kwargs={"pk": i3.pk})
    assert held["paused_for"] == "Awaiting vendor"
    assert [c["kind"] for c in held["causes"]] == ["start", "pause", "resume", "breach", "threshold", "threshold",
                                                    "threshold"]
    assert held["stopped_at"] is None and held["customer"] == "Acme" and held["service"] == "Mail"
    assert rows[1]["stopped_at"] is None  # i5 is still waiting for a response
    assert rows[3]["stopped_at"] is not None  # i2 responded after its breach


def test_at_risk_lists_running_timers_past_their_first_warning_soonest_first(agent):
    acme = make_agreements()["acme"]
    incident = make_incident(agent, customer=acme)
    later = timezone.now() + 0.6 * H
    sla.timers_sweep(now=later)  # 60 % of the one-hour response goal: the 50 % warning is recorded

    rows = reports.at_risk(reports.Filters(*reports.this_month()), now=later)

    assert [(r["record"], r["metric"], r["percent"]) for r in rows] == [(incident.number, "response", 60.0)]


def test_at_risk_also_lists_timers_due_within_the_hours_asked(agent):
    make_agreements()
    incident = make_incident(agent)  # response due in 4 h, no warning yet

    filters = reports.Filters(*reports.this_month())

    assert [r["metric"] for r in reports.at_risk(filters, hours=5)] == ["response"]
    assert reports.at_risk(filters, hours=3) == []
    assert incident.number


def test_monthly_report_of_an_agreement(world):
    report = reports.monthly_report(world["gold"], "2026-11")

    targets = [(r["target"].name, r["met"], r["breached"], r["attainment"], r["times"] and r["times"]["mean_hours"])
               for r in report["targets"]]
    assert targets == [("Acme Gold resolve", 2, 1, 66.7, 3.0), ("Acme Gold respond", 1, 2, 33.3, 1.5)]
    assert report["totals"]["attainment"] == 50.0
    assert [s.name for s in report["services"]] == ["Mail"]
    assert len(report["breaches"]) == 3


def test_the_attainment_api_groups_as_asked(world, api, agent):
    api.force_login(agent)

    answer = api.get(reverse("api:slas:report-attainment"),
                     {"from": "2026-11-01", "to": "2026-11-30", "group_by": "customer"}).json()

    assert (answer["met"], answer["breached"], answer["attainment"]) == (3, 4, 42.9)
    assert [(r["label"], r["met"], r["breached"], r["attainment"]) for r in answer["rows"]] == [
        ("Acme", 3, 3, 50.0), ("Globex", 0, 1, 0.0)]


def test_the_attainment_api_refuses_an_unknown_grouping_and_a_reversed_period(world, api, agent):
    api.force_login(agent)
    url = reverse("api:slas:report-attainment")

    wrong_group = api.get(url, {"group_by": "colour"})
    reversed_period = api.get(url, {"from": "2026-11-30", "to": "2026-11-01"})

    assert wrong_group.status_code == 400 and "group_by" in wrong_group.json()["error"]["fields"]
    assert reversed_period.status_code == 400


def test_the_breach_api_explains_each_breach(world, api, auditor):
    api.force_login(auditor)
    i3 = world["incidents"][2]

    answer = api.get(reverse("api:slas:report-breaches"), {"from": "2026-11-01", "to": "2026-11-30",
                                                             "metric": "resolution"}).json()

    assert answer["count"] == 1
    [row] = answer["rows"]
    assert (row["record"], row["target"], row["goal_hours"], row["paused_for"]) == (
        i3.number, "Acme Gold resolve", 8.0, "Awaiting vendor")
    assert row["breached_at"].startswith("2026-11-10T20:00")
