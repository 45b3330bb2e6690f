"""Cycles (issue 17): a target restarts on reopening or on each customer reply; each cycle is a
timer of its own (start, elapsed, outcome, breach), the timer reads list them all, and attainment
counts them as the target's counting option says. Targets through the API; the record's clock
through `timers_sync` with the test Ticket (signals as the incident services send them)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from itsm.services import system_actor
from slas import reports, services
from slas.choices import ClockSignal, Restart, TimerState
from slas.models import Timer
from tests.assertions import assert_nothing_written
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import TicketState

pytestmark = pytest.mark.django_db
SLAS = "/api/v1/slas"
H = timedelta(hours=1)


def sync(ticket, at, signal=""):
    return services.timers_sync(ticket, cause="test", now=at, signal=signal)


def state(ticket, value, at=None):
    ticket.state = value
    if value == TicketState.RESOLVED:
        ticket.sla_resolved_at = at
    return ticket


def cycles(ticket, metric="resolution"):
    return list(Timer.objects.filter(object_id=ticket.pk, metric=metric, kind="sla").order_by("cycle"))


@pytest.fixture
def admin_api(api, admin_user):
    api.force_authenticate(admin_user)
    return api


def create_target(admin_api, agreement, calendar, **data):
    body = {"agreement": agreement.pk, "name": "Resolve", "metric": "resolution", "record_type": "ticket",
            "goal": "04:00:00", "calendar": calendar.pk, **data}
    answer = admin_api.post(f"{SLAS}/targets/", body, format="json")
    assert answer.status_code == 201, answer.json()
    return answer.json()


def test_a_target_restarting_on_reopening_starts_a_new_cycle_with_its_own_outcome(admin_api, agreement, always):
    target = create_target(admin_api, agreement, always, restart="reopen")
    ticket = make_ticket()
    t0 = ticket.created_at
    sync(ticket, t0)
    sync(state(ticket, TicketState.RESOLVED, t0 + 5 * H), t0 + 5 * H)  # breached: 5 h of 4 h
    sync(state(ticket, TicketState.IN_PROGRESS), t0 + 6 * H)  # reopened
    sync(state(ticket, TicketState.RESOLVED, t0 + 7 * H), t0 + 7 * H)  # met: 1 h of 4 h

    first, second = cycles(ticket)
    assert target["restart"] == "reopen" and target["reopen_continues"] is False
    assert (first.cycle, first.is_current, first.state, first.elapsed) == (1, False, TimerState.BREACHED, 5 * H)
    assert first.breached_at == t0 + 4 * H and first.stopped_at == t0 + 5 * H
    assert (second.cycle, second.is_current, second.state) == (2, True, TimerState.MET)
    assert (second.started_at, second.stopped_at, second.elapsed) == (t0 + 6 * H, t0 + 7 * H, H)
    start = [e for e in second.events.all() if e.kind == "start"][0]
    assert start.data["cycle"] == 2 and start.data["restart"] == "reopen"

    read = admin_api.get(f"{SLAS}/timers/", {"record_type": "ticket", "object_id": ticket.pk}).json()["results"]
    assert sorted((t["cycle"], t["is_current"], t["state"]) for t in read) == [
        (1, False, "breached"), (2, True, "met")]
    for timer in read:  # every timer read lists every cycle of its key
        assert [(c["cycle"], c["state"], c["elapsed"]) for c in timer["cycles"]] == [
            (1, "breached", "05:00:00"), (2, "met", "01:00:00")]
    detail = admin_api.get(f"{SLAS}/timers/{second.pk}/").json()
    assert [c["cycle"] for c in detail["cycles"]] == [1, 2]


def test_continue_reopens_the_same_clock_and_none_leaves_it_stopped(make_target, always):
    make_target(name="Continues", restart=Restart.CONTINUE)
    ticket = make_ticket()
    t0 = ticket.created_at
    sync(ticket, t0)
    sync(state(ticket, TicketState.RESOLVED, t0 + H), t0 + H)
    sync(state(ticket, TicketState.IN_PROGRESS), t0 + 2 * H)

    (only,) = cycles(ticket)
    assert (only.cycle, only.state, only.stopped_at, only.elapsed) == (1, TimerState.RUNNING, None, H)

    other = make_ticket()
    Timer.objects.all().delete()
    services.target_update(actor=system_actor(), target=only.target, data={"restart": Restart.NONE})
    sync(other, t0)
    sync(state(other, TicketState.RESOLVED, t0 + H), t0 + H)
    sync(state(other, TicketState.IN_PROGRESS), t0 + 2 * H)
    (stopped,) = cycles(other)
    assert (stopped.state, stopped.stopped_at) == (TimerState.MET, t0 + H)


def test_the_yes_no_choice_of_before_is_one_of_the_restart_options(admin_api, agreement, always):
    kept = create_target(admin_api, agreement, always, reopen_continues=False)
    continues = create_target(admin_api, agreement, always, name="Other", reopen_continues=True)

    assert (kept["restart"], kept["reopen_continues"]) == ("none", False)
    assert (continues["restart"], continues["reopen_continues"]) == ("continue", True)
    assert continues["cycle_counting"] == "every" and continues["kind"] == "sla"


def test_a_response_target_restarting_on_customer_replies_times_each_answer(make_target, always):
    make_target(metric="response", goal=H, restart=Restart.CUSTOMER_REPLY)
    ticket = make_ticket()
    t0 = ticket.created_at
    sync(ticket, t0)
    ticket.sla_responded_at = t0 + 10 * timedelta(minutes=1)
    sync(ticket, t0 + timedelta(minutes=10), ClockSignal.RESPONSE)  # cycle 1 answered
    sync(ticket, t0 + 2 * H, ClockSignal.CUSTOMER_REPLY)  # the caller writes back: cycle 2
    sync(ticket, t0 + 2.5 * H, ClockSignal.CUSTOMER_REPLY)  # again, still unanswered: the same cycle
    sync(ticket, t0 + 4 * H, ClockSignal.RESPONSE)  # answered after 2 h: breached
    sync(ticket, t0 + 5 * H, ClockSignal.CUSTOMER_REPLY)  # cycle 3, still running

    first, second, third = cycles(ticket, "response")
    assert (first.state, first.elapsed) == (TimerState.MET, timedelta(minutes=10))
    assert (second.started_at, second.stopped_at, second.state) == (t0 + 2 * H, t0 + 4 * H, TimerState.BREACHED)
    assert second.breached_at == t0 + 3 * H
    assert [e.data.get("why") for e in second.events.all() if e.kind == "stop"] == ["answered"]
    assert (third.cycle, third.is_current, third.state, third.started_at) == (3, True, TimerState.RUNNING,
                                                                             t0 + 5 * H)
    assert not first.is_current and not second.is_current


def test_a_service_desk_reply_does_not_stop_the_first_cycle_nor_start_one(make_target, always):
    make_target(metric="response", goal=H, restart=Restart.CUSTOMER_REPLY)
    ticket = make_ticket()
    t0 = ticket.created_at
    sync(ticket, t0)
    sync(ticket, t0 + timedelta(minutes=5), ClockSignal.CUSTOMER_REPLY)  # before any answer: no new cycle

    (only,) = cycles(ticket, "response")
    assert (only.cycle, only.state) == (1, TimerState.RUNNING)


@pytest.mark.parametrize(("counting", "counted"), [("every", [True, True, True]), ("last", [False, False, True]),
                                                    ("first", [True, False, False])])
def test_attainment_counts_the_cycles_the_target_says(admin_api, agreement, always, counting, counted):
    create_target(admin_api, agreement, always, restart="reopen", cycle_counting=counting)
    ticket = make_ticket()
    t0 = ticket.created_at - 20 * H
    ticket.created_at = t0
    sync(ticket, t0)
    for n, length in enumerate((5, 1, 6)):  # breached, met, breached
        begin = t0 + 7 * n * H
        if n:
            sync(state(ticket, TicketState.IN_PROGRESS), begin)
        sync(state(ticket, TicketState.RESOLVED, begin + length * H), begin + length * H)

    assert [t.counts for t in cycles(ticket)] == counted
    day = timezone.localdate()
    filters = reports.Filters(start=day - timedelta(days=2), end=day)
    totals = reports.totals(filters)
    expected = [outcome for outcome, counts in zip(("breached", "met", "breached"), counted, strict=True) if counts]
    assert (totals["met"], totals["breached"]) == (expected.count("met"), expected.count("breached"))
    assert len(reports.breaches(filters)) == expected.count("breached")
    assert sum(row["count"] for row in reports.durations(filters)) == len(expected)
    answer = admin_api.get(f"{SLAS}/reports/attainment/", {"from": (day - timedelta(days=2)).isoformat(),
                                                             "to": day.isoformat(), "group_by": "month"}).json()
    assert (answer["met"], answer["breached"]) == (expected.count("met"), expected.count("breached"))


def test_a_new_cycle_on_customer_replies_is_for_the_customers_response_targets(admin_api, agreement, always, team):
    base = {"agreement": agreement.pk, "name": "x", "record_type": "ticket", "goal": "01:00:00",
            "calendar": always.pk}

    with assert_nothing_written():
        on_resolution = admin_api.post(f"{SLAS}/targets/", {**base, "metric": "resolution",
                                                           "restart": "customer_reply"}, format="json")
        group_on_sla = admin_api.post(f"{SLAS}/targets/", {**base, "metric": "response", "team": team.pk},
                                      format="json")
        ola_reply = admin_api.post(f"{SLAS}/targets/", {**base, "metric": "response", "kind": "ola",
                                                        "restart": "customer_reply"}, format="json")
        wrong = admin_api.post(f"{SLAS}/targets/", {**base, "metric": "response", "cycle_counting": "most"},
                               format="json")

    def fields(answer):
        assert answer.status_code == 400
        return set(answer.json()["error"]["fields"])

    assert fields(on_resolution) == {"restart"}
    assert fields(group_on_sla) == {"team"}
    assert fields(ola_reply) == {"restart"}
    assert fields(wrong) == {"cycle_counting"}


def test_one_current_cycle_per_key_and_each_cycle_number_once_are_constraints(make_target, always):
    make_target()
    ticket = make_ticket()
    (timer,) = sync(ticket, ticket.created_at)

    def copy(**changes):
        row = Timer.objects.get(pk=timer.pk)
        row.pk = None
        for name, value in changes.items():
            setattr(row, name, value)
        with pytest.raises(IntegrityError), transaction.atomic():
            row.save()

    copy(cycle=2)  # a second current cycle of the key
    copy(is_current=False)  # cycle 1 twice
    copy(kind="ola")  # an operational level timer without its group


def test_the_explanation_says_which_cycle(make_target, always):
    from slas.explain import event_detail, explain

    make_target(restart=Restart.REOPEN)
    ticket = make_ticket()
    t0 = ticket.created_at
    sync(ticket, t0)
    sync(state(ticket, TicketState.RESOLVED, t0 + H), t0 + H)
    sync(state(ticket, TicketState.IN_PROGRESS), t0 + 2 * H)
    first, second = cycles(ticket)

    assert explain(first, t0 + 3 * H).cycle_text == "Cycle 1"
    assert explain(second, t0 + 3 * H).cycle_text == "Cycle 2, started again on reopening"
    assert explain(second, t0 + 3 * H).scope_text == "Service level (the customer's)"
    start = second.events.get(kind="start")
    assert event_detail(start).endswith("cycle 2 started again on reopening")


@pytest.fixture
def team(db):
    from tests.factories import TeamFactory

    return TeamFactory(name="Network")


def test_by_default_a_reopened_resolution_continues_its_one_cycle(make_target, always):
    make_target()  # restart "continue" by default: the behaviour before cycles
    ticket = make_ticket()
    t0 = ticket.created_at
    sync(ticket, t0)
    sync(state(ticket, TicketState.RESOLVED, t0 + H), t0 + H)
    sync(state(ticket, TicketState.IN_PROGRESS), t0 + 2 * H)
    sync(state(ticket, TicketState.RESOLVED, t0 + 3 * H), t0 + 3 * H)

    (only,) = cycles(ticket)
    assert (only.cycle, only.state, only.elapsed) == (1, TimerState.MET, 2 * H)
