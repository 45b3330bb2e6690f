"""Operational level (OLA) timers (issue 17): more than one timer per metric. A target of kind
"ola" times one assignment group (or every group): its timer starts when the group gets the
record and stops when it hands it on, beside the customer's SLA timer, each with its own target.
OLA timers are reported apart from SLA attainment (an OLA breach is not an SLA breach), are not
"at risk" of the customer's attainment, and are escalated by the sweep like any timer."""

from datetime import timedelta

import pytest
from django.utils import timezone

from slas import reports, services
from slas.choices import Restart, TimerState
from slas.explain import event_detail, explain
from slas.models import Timer
from tests.factories import TeamFactory
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import TicketState
from tests.slas.conftest import ACTIONS

pytestmark = pytest.mark.django_db
SLAS = "/api/v1/slas"
H = timedelta(hours=1)


@pytest.fixture
def network(db):
    return TeamFactory(name="Network")


@pytest.fixture
def desk(db):
    return TeamFactory(name="Service desk")


def sync(ticket, at, signal=""):
    return services.timers_sync(ticket, cause="test", now=at, signal=signal)


def assign(ticket, team, at, assignee=None):
    ticket.sla_team_id = team.pk if team else None
    ticket.sla_assignee_id = assignee
    return sync(ticket, at)


def ola_timers(ticket, team=None):
    timers = Timer.objects.filter(object_id=ticket.pk, kind="ola").order_by("ola_team_id", "metric", "cycle")
    return list(timers.filter(ola_team=team) if team else timers)


def test_a_groups_timer_runs_from_getting_the_record_to_handing_it_on_beside_the_customers(
        make_target, network, desk):
    customer = make_target(goal=8 * H)
    group = make_target(kind="ola", team=network, goal=2 * H, name="Network OLA")
    ticket = make_ticket()
    t0 = ticket.created_at
    assign(ticket, desk, t0)  # no OLA target for the desk: only the customer's clock
    assert ola_timers(ticket) == []

    assign(ticket, network, t0 + H)
    assign(ticket, desk, t0 + 4 * H)  # handed on after 3 h of 2 h: breached

    (ola,) = ola_timers(ticket)
    sla = Timer.objects.get(object_id=ticket.pk, kind="sla")
    assert (ola.target_id, ola.ola_team, ola.started_at, ola.stopped_at) == (group.pk, network, t0 + H, t0 + 4 * H)
    assert (ola.state, ola.breached_at, ola.elapsed) == (TimerState.BREACHED, t0 + 3 * H, 3 * H)
    assert [e.data.get("why") for e in ola.events.filter(kind="stop")] == ["handed_on"]
    assert (sla.target_id, sla.state, sla.breached_at) == (customer.pk, TimerState.RUNNING, None)


def test_a_target_for_every_group_times_each_group_and_a_named_group_takes_precedence(make_target, network, desk):
    make_target(kind="ola", goal=4 * H, name="Any group")
    named = make_target(kind="ola", team=network, goal=H, name="Network")
    ticket = make_ticket()
    t0 = ticket.created_at
    assign(ticket, desk, t0)
    assign(ticket, network, t0 + H)

    by_team = {t.ola_team.name: t for t in ola_timers(ticket)}
    assert by_team["Service desk"].target.name == "Any group" and by_team["Service desk"].state == TimerState.MET
    assert by_team["Network"].target_id == named.pk and by_team["Network"].state == TimerState.RUNNING


@pytest.mark.parametrize(("restart", "expected"), [
    (Restart.REOPEN, [(1, False, "met"), (2, True, "running")]),
    (Restart.CONTINUE, [(1, True, "running")]),
    (Restart.NONE, [(1, True, "met")]),
])
def test_a_group_getting_the_record_back_restarts_as_its_target_says(make_target, network, desk, restart, expected):
    make_target(kind="ola", team=network, goal=4 * H, restart=restart)
    ticket = make_ticket()
    t0 = ticket.created_at
    assign(ticket, network, t0)
    assign(ticket, desk, t0 + H)
    assign(ticket, network, t0 + 3 * H)
    assign(ticket, network, t0 + 4 * H)

    timers = ola_timers(ticket)
    assert [(t.cycle, t.is_current, t.state) for t in timers] == expected
    if restart == Restart.CONTINUE:
        assert timers[0].elapsed == 2 * H  # 1 h, then 1 h since it came back
    if restart == Restart.REOPEN:
        assert (timers[1].started_at, timers[1].elapsed) == (t0 + 3 * H, H)
        assert timers[1].events.get(kind="start").data["restart"] == "group"


def test_a_groups_response_stops_when_one_of_it_takes_the_record(make_target, network, agent):
    make_target(kind="ola", team=network, metric="response", goal=H)
    make_target(kind="ola", team=network, metric="resolution", goal=8 * H)
    ticket = make_ticket()
    t0 = ticket.created_at
    assign(ticket, network, t0)
    assign(ticket, network, t0 + timedelta(minutes=20), assignee=agent.pk)

    by_metric = {t.metric: t for t in ola_timers(ticket)}
    response, resolution = by_metric["response"], by_metric["resolution"]
    assert response.metric == "response" and response.state == TimerState.MET
    assert response.elapsed == timedelta(minutes=20)
    assert [e.data.get("why") for e in response.events.filter(kind="stop")] == ["taken"]
    assert resolution.state == TimerState.RUNNING

    ticket.state, ticket.sla_resolved_at = TicketState.RESOLVED, t0 + 2 * H
    sync(ticket, t0 + 2 * H)
    resolution.refresh_from_db()
    assert (resolution.state, resolution.stopped_at) == (TimerState.MET, t0 + 2 * H)


def test_an_ola_breach_is_not_an_sla_breach(admin_user, api, make_target, network):
    make_target(goal=8 * H)
    make_target(kind="ola", team=network, goal=H)
    ticket = make_ticket()
    t0 = ticket.created_at - 5 * H
    ticket.created_at = t0
    assign(ticket, network, t0)
    ticket.state, ticket.sla_resolved_at = TicketState.RESOLVED, t0 + 3 * H
    sync(ticket, t0 + 3 * H)

    day = timezone.localdate()
    filters = reports.Filters(start=day - timedelta(days=1), end=day)
    sla, ola = reports.totals(filters), reports.totals(reports.operational(filters))
    assert (sla["met"], sla["breached"]) == (1, 0)
    assert (ola["met"], ola["breached"]) == (0, 1)
    assert reports.breaches(filters) == []
    assert [row["group"] for row in reports.breaches(reports.operational(filters))] == ["Network"]
    assert [(r["label"], r["breached"]) for r in reports.dashboard(filters)["ola_by_team"]] == [("Network", 1)]

    api.force_authenticate(admin_user)
    period = {"from": (day - timedelta(days=1)).isoformat(), "to": day.isoformat()}
    plain = api.get(f"{SLAS}/reports/attainment/", {**period, "group_by": "team"}).json()
    groups = api.get(f"{SLAS}/reports/attainment/", {**period, "group_by": "team", "scope": "ola"}).json()
    breaches = api.get(f"{SLAS}/reports/breaches/", {**period, "scope": "ola"}).json()
    assert (plain["met"], plain["breached"]) == (1, 0)
    assert (groups["breached"], [r["label"] for r in groups["rows"]]) == (1, ["Network"])
    assert [r["group"] for r in breaches["rows"]] == ["Network"]
    wrong = api.get(f"{SLAS}/reports/attainment/", {**period, "scope": "both"})
    assert wrong.status_code == 400


def test_ola_timers_are_not_at_risk_of_the_customers_attainment(make_target, network):
    make_target(kind="ola", team=network, goal=H)
    ticket = make_ticket()
    assign(ticket, network, ticket.created_at)

    (ola,) = ola_timers(ticket)
    assert ola.due_at <= timezone.now() + 4 * H
    assert not Timer.objects.at_risk().filter(pk=ola.pk).exists()


def test_the_sweep_escalates_a_groups_timer_as_its_own_target_says(make_target, network):
    make_target(kind="ola", team=network, goal=H, escalations=[
        {"percent": 100, "actions": [{"kind": "notify_group_lead"}]}])
    ticket = make_ticket()
    t0 = ticket.created_at
    assign(ticket, network, t0)

    services.timers_sweep(now=t0 + 2 * H)

    (ola,) = ola_timers(ticket)
    assert ola.state == TimerState.BREACHED and ola.breached_at == t0 + H
    assert ACTIONS == [(ticket.number, "notify_group_lead", 100)]


def test_the_api_shows_the_groups_timer_beside_the_customers(admin_user, api, make_target, network):
    make_target(goal=8 * H)
    make_target(kind="ola", team=network, goal=2 * H)
    ticket = make_ticket()
    assign(ticket, network, ticket.created_at)

    api.force_authenticate(admin_user)
    timers = api.get(f"{SLAS}/timers/", {"record_type": "ticket", "object_id": ticket.pk}).json()["results"]
    only_ola = api.get(f"{SLAS}/timers/", {"object_id": ticket.pk, "kind": "ola"}).json()["results"]
    by_group = api.get(f"{SLAS}/timers/", {"object_id": ticket.pk, "ola_team": network.pk}).json()["results"]
    targets = api.get(f"{SLAS}/targets/", {"kind": "ola"}).json()["results"]

    assert sorted((t["kind"], t["ola_team"], t["ola_team_name"], t["goal"]) for t in timers) == [
        ("ola", network.pk, "Network", "02:00:00"), ("sla", None, None, "08:00:00")]
    assert [t["kind"] for t in only_ola] == ["ola"] and [t["ola_team"] for t in by_group] == [network.pk]
    assert [(t["kind"], t["team"]) for t in targets] == [("ola", network.pk)]


def test_the_explanation_says_which_group(make_target, network, desk):
    make_target(kind="ola", team=network, goal=2 * H)
    ticket = make_ticket()
    t0 = ticket.created_at
    assign(ticket, network, t0)
    assign(ticket, desk, t0 + H)

    (ola,) = ola_timers(ticket)
    told = explain(ola, t0 + 2 * H)
    assert told.scope_text == "Operational level of Network"
    assert event_detail(ola.events.get(kind="start")).endswith("group Network")
    assert event_detail(ola.events.get(kind="stop")) == "Met: the group handed the record on"


def test_evidence_holds_every_cycle_and_every_groups_timer_with_its_key(make_target, network, desk):
    from itsm.evidence import Period, Scope
    from slas.evidence import inputs_of, timers_of

    make_target(goal=8 * H, restart=Restart.REOPEN)
    make_target(kind="ola", team=network, goal=2 * H, restart=Restart.REOPEN)
    ticket = make_ticket()
    t0 = ticket.created_at
    assign(ticket, network, t0)
    assign(ticket, desk, t0 + H)
    assign(ticket, network, t0 + 2 * H)
    ticket.state, ticket.sla_resolved_at = TicketState.RESOLVED, t0 + 3 * H
    sync(ticket, t0 + 3 * H)
    ticket.state, ticket.sla_resolved_at = TicketState.IN_PROGRESS, None
    sync(ticket, t0 + 4 * H)

    period = Period(start=t0 - H, end=t0 + 5 * H)
    rows = list(timers_of(period, Scope()).values("kind", "ola_team_id", "metric", "cycle", "is_current", "counts"))
    files = {name: list(rows_of) for name, rows_of in inputs_of(period, Scope())}

    # The group's second stay is its cycle 2, the reopening (while it holds the record) its cycle 3.
    assert sorted((r["kind"], r["ola_team_id"] or 0, r["cycle"], r["is_current"]) for r in rows) == [
        ("ola", network.pk, 1, False), ("ola", network.pk, 2, False), ("ola", network.pk, 3, True),
        ("sla", 0, 1, False), ("sla", 0, 2, True)]
    assert {r["kind"] for r in files["target-versions.jsonl"]} == {"sla", "ola"}
    assert len({r["timer_id"] for r in files["timer-events.jsonl"]}) == 5


def test_the_dashboard_shows_the_groups_attainment_apart(client, agent, make_target, network):
    from django.urls import reverse

    make_target(goal=8 * H)
    make_target(kind="ola", team=network, goal=H)
    ticket = make_ticket()
    t0 = ticket.created_at - 5 * H
    ticket.created_at = t0
    assign(ticket, network, t0)
    ticket.state, ticket.sla_resolved_at = TicketState.RESOLVED, t0 + 3 * H
    sync(ticket, t0 + 3 * H)
    client.force_login(agent)

    page = client.get(reverse("sla_dashboard"), {"period": "7"})
    export = client.get(reverse("sla_dashboard"), {"period": "7", "export": "ola_by_team"})

    assert (page.context["totals"]["met"], page.context["totals"]["breached"]) == (1, 0)
    assert [(r["label"], r["met"], r["breached"]) for r in page.context["ola_by_team"]] == [("Network", 0, 1)]
    assert 'id="ola_by_team"' in page.content.decode()
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1:] == ["Network,0,1,0.0"]


def test_a_target_keeps_its_kind_across_versions(admin_user, api, make_target, network):
    target = make_target(kind="ola", team=network, goal=H)
    api.force_authenticate(admin_user)

    refused = api.patch(f"{SLAS}/targets/{target.pk}/", {"kind": "sla", "team": None}, format="json")
    moved = api.patch(f"{SLAS}/targets/{target.pk}/", {"goal": "03:00:00"}, format="json")

    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"kind"}
    assert moved.status_code == 200 and (moved.json()["kind"], moved.json()["team"]) == ("ola", network.pk)
