"""Issue 17, defect 1: a breach means elapsed business time *greater* than the goal. A goal that
ends exactly at the end of a working interval is reached there, not exceeded: the breach
instant is the first instant at which business time beyond the goal accrues."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itsm.services import system_actor
from slas import engine, services
from slas.businesstime import between
from slas.choices import BREACH, TimerState
from slas.models import Timer
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import TicketState
from tests.slas.test_businesstime import calendars, instants

H = timedelta(hours=1)
MONDAY_9 = datetime(2026, 11, 30, 9, tzinfo=UTC)  # a Monday
OFFICE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []}


@pytest.fixture
def office(db):
    return services.calendar_create(actor=system_actor(), data={"name": "Office 9-17", "time_zone": "UTC",
                                                                "weekly_hours": OFFICE})


def _ticket_started_at(at):
    ticket = make_ticket()
    ticket.created_at = at
    return ticket


def _sync(ticket, at):
    return {t.metric: t for t in services.timers_sync(ticket, cause="test", now=at)}["resolution"]


@pytest.mark.django_db
def test_a_goal_ending_at_the_end_of_the_day_is_not_breached_by_the_evening_sweep(make_target, office, api,
                                                                                     agent):
    make_target(goal=8 * H, calendar=office)
    ticket = _ticket_started_at(MONDAY_9)
    timer = _sync(ticket, MONDAY_9)
    assert timer.due_at == MONDAY_9 + 8 * H  # Monday 17:00

    services.timers_sweep(now=MONDAY_9 + 8.5 * H)  # 17:30: the goal is reached, not exceeded
    api.force_authenticate(agent)
    read = api.get(f"/api/v1/slas/timers/{timer.pk}/").json()
    assert read["state"] == "running" and read["breached_at"] is None

    ticket.state = TicketState.RESOLVED
    ticket.updated_at = MONDAY_9 + 9 * H  # resolved at 18:00, before any business time beyond the goal
    timer = _sync(ticket, MONDAY_9 + 9 * H)
    assert (timer.state, timer.breached_at, timer.elapsed) == (TimerState.MET, None, 8 * H)


@pytest.mark.django_db
def test_the_breach_instant_is_the_next_working_instant_after_a_goal_ending_at_an_interval_end(make_target, office):
    make_target(goal=8 * H, calendar=office)
    ticket = _ticket_started_at(MONDAY_9)
    timer = _sync(ticket, MONDAY_9)
    tuesday_9 = MONDAY_9 + 24 * H
    assert timer.next_check_at == tuesday_9 or timer.next_check_at < tuesday_9  # thresholds first

    services.timers_sweep(now=tuesday_9)  # at 09:00 exactly: still equal to the goal
    assert Timer.objects.get(pk=timer.pk).breached_at is None
    services.timers_sweep(now=tuesday_9 + timedelta(seconds=1))

    timer = Timer.objects.get(pk=timer.pk)
    assert (timer.state, timer.breached_at) == (TimerState.BREACHED, tuesday_9)
    assert list(timer.escalations.filter(threshold=BREACH, action="record").values_list("due_at", flat=True)) \
        == [tuesday_9]


@pytest.mark.django_db
def test_a_threshold_reached_exactly_at_the_end_of_the_day_is_crossed_only_the_next_morning(make_target, office):
    make_target(goal=16 * H, calendar=office)  # 50 % = 8 h: Monday 17:00
    ticket = _ticket_started_at(MONDAY_9)
    _sync(ticket, MONDAY_9)

    services.timers_sweep(now=MONDAY_9 + 10 * H)
    timer = Timer.objects.get()
    assert not timer.escalations.exists() and timer.next_check_at == MONDAY_9 + 24 * H

    services.timers_sweep(now=MONDAY_9 + 24 * H + timedelta(minutes=1))
    assert list(Timer.objects.get().escalations.filter(action="record").values_list("threshold", flat=True)) == [50]


# --- properties ---------------------------------------------------------------------------------

def _timer(start, goal, calendar):
    from slas.businesstime import add

    return SimpleNamespace(running=True, stopped_at=None, breached_at=None, state=TimerState.RUNNING,
                           pause_reason="", elapsed=timedelta(0), counted_until=start, goal=goal,
                           due_at=add(calendar, start, goal), next_check_at=None)


# Goals in whole quarter hours, like the calendars' intervals: goals that end exactly at an
# interval's end are frequent.
goals = st.integers(1, 80).map(lambda quarters: timedelta(minutes=15 * quarters))
# A run of the clock: steps after the start, each a check (the sweep), a pause, a resume or the stop.
operations = st.lists(st.tuples(st.sampled_from(["check", "check", "pause", "resume", "stop"]),
                                st.integers(0, 4 * 24 * 3600)), min_size=1, max_size=12)


def _run(calendar, start, goal, ops):
    """Drive an in-memory timer through `ops`; yield it after each step with the intervals the
    clock ran, so the properties can be checked against the arithmetic directly."""
    timer = _timer(start, goal, calendar)
    ran, running_since, now = [], start, start
    for kind, offset in ops:
        now = now + timedelta(seconds=offset)
        if kind == "check":
            engine.count(timer, calendar, now)
            engine.detect_breach(timer, calendar, now)
        elif kind == "pause" and timer.running and not timer.stopped_at:
            engine.pause(timer, calendar, now, reason="x", cause="x")
            ran.append((running_since, now))
            running_since = None
        elif kind == "resume" and not timer.running and not timer.stopped_at:
            engine.resume(timer, calendar, now, cause="x")
            running_since = now
        elif kind == "stop" and not timer.stopped_at:
            engine.stop(timer, calendar, now, cause="x")
            if running_since is not None:
                ran.append((running_since, now))
                running_since = None
        engine.schedule(timer, calendar, thresholds=[50, 75, 90, BREACH], handled=set())
        yield timer, ran + ([(running_since, now)] if running_since is not None else [])
        if timer.stopped_at:
            return


def _elapsed_at(calendar, ran, instant):
    return sum((between(calendar, a, min(b, instant)) for a, b in ran if a < instant), timedelta(0))


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, goals, operations)
def test_no_timer_with_elapsed_at_most_the_goal_is_ever_breached(calendar, start, goal, ops):
    for timer, _ran in _run(calendar, start, goal, ops):
        if timer.elapsed <= goal:
            assert timer.breached_at is None and timer.state != TimerState.BREACHED


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, goals, operations)
def test_a_breached_timer_reached_its_goal_at_the_breach_instant_and_exceeded_it_right_after(
        calendar, start, goal, ops):
    for timer, ran in _run(calendar, start, goal, ops):
        if timer.breached_at is None:
            continue
        assert timer.elapsed > goal
        assert _elapsed_at(calendar, ran, timer.breached_at) == goal
        assert _elapsed_at(calendar, ran, timer.breached_at + timedelta(microseconds=1)) > goal
