"""Property tests of cycles and operational level timers (issue 17), on the database (the
partial unique constraints are part of what is tested): random histories of one record —
assignments between groups, someone of the group taking it, resolutions and reopenings,
customer replies and service-desk replies, pauses — over simulated time, synced as the record's
services sync them. After every step:

- at most one current timer per key (metric + scope), cycles numbered 1..n without gaps, the
  current one the last, the earlier ones stopped;
- the cycles of a key never overlap, and each one's elapsed time is the sum of its running
  intervals (24×7 calendar: wall-clock time), never more than from its start to its stop, so the
  cycles' elapsed times sum to at most the time since the first started;
- a group's (OLA) timer runs only while its group holds the record;
- the cycles counted are those the target's counting option says (every, last, first).
Runs on SQLite and on PostgreSQL (DATABASE_URL) alike.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from itsm.services import system_actor
from slas import services
from slas.choices import ClockSignal, CycleCounting, Restart, TimerEventKind
from slas.models import Timer
from tests.factories import TeamFactory
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import TicketState

pytestmark = pytest.mark.django_db
STARTS = (TimerEventKind.START, TimerEventKind.RESUME, TimerEventKind.REOPEN)
ENDS = (TimerEventKind.PAUSE, TimerEventKind.STOP, TimerEventKind.CANCEL)


class Rollback(Exception):
    pass


# The first choices are what Hypothesis draws most and shrinks towards: histories of groups.
operations = st.lists(st.one_of(
    st.tuples(st.just("assign"), st.sampled_from([0, 1, 2, None])),  # a group of three, or none
    st.tuples(st.just("wait"), st.integers(min_value=1, max_value=300)),  # minutes
    st.tuples(st.just("take"), st.booleans()),  # someone of the group takes it / gives it back
    st.tuples(st.just("resolve"), st.none()),
    st.tuples(st.just("reopen"), st.none()),
    st.tuples(st.just("customer_reply"), st.none()),
    st.tuples(st.just("reply"), st.none()),
    st.tuples(st.just("hold"), st.booleans()),  # a pausing state, or back to work
), min_size=4, max_size=24)

configurations = st.fixed_dictionaries({
    "response_restart": st.sampled_from([Restart.CUSTOMER_REPLY, Restart.REOPEN, Restart.CONTINUE]),
    "resolution_restart": st.sampled_from([Restart.REOPEN, Restart.CONTINUE, Restart.NONE]),
    "ola_restart": st.sampled_from([Restart.REOPEN, Restart.CONTINUE, Restart.NONE]),
    "counting": st.sampled_from(CycleCounting.values),
    "goal_minutes": st.integers(min_value=10, max_value=400),
})


EVERY_RESTART = {"response_restart": Restart.CUSTOMER_REPLY, "resolution_restart": Restart.REOPEN,
                 "ola_restart": Restart.REOPEN, "counting": CycleCounting.EVERY, "goal_minutes": 60}


@pytest.fixture
def world(agreement, always, agent):
    teams = [TeamFactory(name=f"Group {n}") for n in range(3)]
    return {"agreement": agreement, "calendar": always, "teams": teams, "agent": agent}


def make_targets(world, config):
    actor = system_actor()
    common = {"agreement": world["agreement"], "calendar": world["calendar"], "record_type": "ticket",
              "goal": timedelta(minutes=config["goal_minutes"]), "cycle_counting": config["counting"],
              "pause_states": [TicketState.IN_PROGRESS]}
    services.target_create(actor=actor, data={**common, "name": "Respond", "metric": "response",
                                              "restart": config["response_restart"]})
    services.target_create(actor=actor, data={**common, "name": "Resolve", "metric": "resolution",
                                              "restart": config["resolution_restart"]})
    # Group 0 has its own operational level targets; every other group the one for every group.
    for metric in ("response", "resolution"):
        services.target_create(actor=actor, data={**common, "kind": "ola", "team": world["teams"][0],
                                                  "name": f"G0 {metric}", "metric": metric,
                                                  "restart": config["ola_restart"], "pause_states": []})
    services.target_create(actor=actor, data={**common, "kind": "ola", "name": "Any group", "metric": "resolution",
                                              "restart": config["ola_restart"], "pause_states": []})


def play(world, ticket, ops):
    """Apply `ops` to the ticket over simulated time; yields after each synced step with the
    instant, and keeps the history of who held the record ([(from, team id)])."""
    now = ticket.created_at
    ticket.sla_team_id = ticket.sla_assignee_id = ticket.sla_responded_at = ticket.sla_resolved_at = None
    holders = [(now, None)]
    services.timers_sync(ticket, cause="logged", now=now, created=True)
    yield now, holders
    for name, value in ops:
        signal = ""
        if name == "wait":
            now += timedelta(minutes=value)
            services.timers_sync(ticket, cause="sweep-like read", now=now)
            services.timers_sweep(now=now)
            yield now, holders
            continue
        now += timedelta(seconds=1)
        resolved = ticket.state in (TicketState.RESOLVED, TicketState.CLOSED)
        if name == "assign":
            team = None if value is None else world["teams"][value].pk
            ticket.sla_team_id, ticket.sla_assignee_id = team, None
            holders.append((now, team))
        elif name == "take" and ticket.sla_team_id:
            ticket.sla_assignee_id = world["agent"].pk if value else None
        elif name == "resolve" and not resolved:
            ticket.state, ticket.sla_resolved_at = TicketState.RESOLVED, now
            ticket.sla_responded_at = ticket.sla_responded_at or now
        elif name == "reopen" and resolved:
            ticket.state, ticket.sla_resolved_at = TicketState.NEW, None
            signal = ClockSignal.REOPENED
        elif name == "customer_reply":
            signal = ClockSignal.CUSTOMER_REPLY
        elif name == "reply":
            ticket.sla_responded_at = ticket.sla_responded_at or now
            signal = ClockSignal.RESPONSE
        elif name == "hold" and not resolved:
            ticket.state = TicketState.IN_PROGRESS if value else TicketState.NEW
        services.timers_sync(ticket, cause=name, now=now, signal=signal)
        yield now, holders


def running_intervals(timer, now):
    intervals, since = [], None
    for step in timer.events.order_by("at", "id"):
        if step.kind in STARTS:
            since = since or step.at
        elif step.kind in ENDS and since is not None:
            intervals.append((since, step.at))
            since = None
    if since is not None:
        intervals.append((since, max(now, since)))
    return intervals


def held_by(holders, team, start, end) -> bool:
    """Whether `team` held the record throughout [start, end)."""
    for (since, holder), (until, _next) in zip(holders, [*holders[1:], (None, None)], strict=True):
        if until is not None and until <= start:
            continue
        if since >= end:
            break
        if holder != team:
            return False
    return True


def check(ticket, now, holders, config):
    timers = list(Timer.objects.filter(object_id=ticket.pk, content_type__model="ticket").order_by("cycle"))
    keys = {}
    for timer in timers:
        keys.setdefault((timer.metric, timer.ola_team_id), []).append(timer)
    for (_metric, team), cycles in keys.items():
        assert [t.cycle for t in cycles] == list(range(1, len(cycles) + 1))
        assert [t.is_current for t in cycles] == [False] * (len(cycles) - 1) + [True]
        assert (team is None) == (cycles[0].kind == "sla")
        total = timedelta(0)
        for earlier, later in zip(cycles, cycles[1:], strict=False):
            assert earlier.stopped_at is not None and earlier.stopped_at <= later.started_at
            assert not earlier.is_live
        for timer in cycles:
            intervals = running_intervals(timer, now)
            counted = sum((end - start for start, end in intervals), timedelta(0))
            # Stored elapsed is counted up to counted_until; live, it grows to now.
            if timer.running and timer.stopped_at is None:
                assert timer.elapsed + (now - timer.counted_until) == counted
            else:
                assert timer.elapsed == counted
            assert counted <= (timer.stopped_at or now) - timer.started_at
            total += counted
            for (_start, previous_end), (start, _end) in zip(intervals, intervals[1:], strict=False):
                assert previous_end <= start  # a clock runs one stretch at a time
            for start, end in intervals:
                assert timer.started_at <= start and (timer.stopped_at is None or end <= timer.stopped_at)
                if team is not None and end > start:
                    assert held_by(holders, team, start, end), (timer.cycle, start, end, holders)
            if team is not None and timer.running and timer.stopped_at is None:
                assert ticket.sla_team_id == team
        assert total <= now - cycles[0].started_at
        counting = cycles[-1].target.cycle_counting
        expected = {CycleCounting.EVERY: [True] * len(cycles),
                    CycleCounting.LAST: [False] * (len(cycles) - 1) + [True],
                    CycleCounting.FIRST: [True] + [False] * (len(cycles) - 1)}[counting]
        assert [t.counts for t in cycles] == expected
    # One current timer per key is also what the database enforces; no group without a target.
    assert len({(t.metric, t.ola_team_id) for t in timers if t.is_current}) == sum(t.is_current for t in timers)
    assert {t.ola_team_id for t in timers if t.ola_team_id} <= {h for _at, h in holders if h}


def test_cycles_and_group_timers_keep_their_invariants(world):
    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(configurations, operations)
    @example(EVERY_RESTART, [("assign", 0), ("wait", 30), ("take", True), ("assign", 1), ("wait", 200),
                             ("assign", 0), ("wait", 20), ("resolve", None), ("reopen", None), ("wait", 5)])
    @example({**EVERY_RESTART, "counting": CycleCounting.LAST},
             [("reply", None), ("customer_reply", None), ("wait", 90), ("reply", None), ("customer_reply", None),
              ("hold", True), ("wait", 10), ("hold", False), ("resolve", None), ("reopen", None), ("wait", 60),
              ("customer_reply", None), ("resolve", None), ("reopen", None)])
    @example({**EVERY_RESTART, "counting": CycleCounting.FIRST, "ola_restart": Restart.CONTINUE},
             [("assign", 2), ("wait", 50), ("assign", 0), ("hold", True), ("assign", 2), ("wait", 500),
              ("take", True), ("assign", 0), ("resolve", None), ("assign", 2), ("reopen", None), ("wait", 1)])
    def run(config, ops):
        try:
            with transaction.atomic():
                make_targets(world, config)
                ticket = make_ticket()
                for now, holders in play(world, ticket, ops):
                    check(ticket, now, holders, config)
                timers = Timer.objects.filter(object_id=ticket.pk, content_type__model="ticket")
                event(f"most cycles of a key: {max((t.cycle for t in timers), default=0)}")
                event(f"group timers: {min(sum(1 for t in timers if t.ola_team_id), 3)}")
                raise Rollback
        except Rollback:
            pass

    run()
