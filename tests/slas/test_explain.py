"""A timer explains itself: its events in order and, for each interval the clock ran, the
calendar segments counted (on a business calendar: evenings and weekends are not)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from itsm.services import system_actor
from slas import explain, services
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import Ticket, TicketState

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def at(day, hour, minute=0):
    return datetime(2025, 11, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def office(db):
    return services.calendar_create(actor=system_actor(), data={
        "name": "Office", "time_zone": "Europe/Berlin", "weekly_hours": {**WEEKDAYS, "sat": [], "sun": []}})


def ticket_opened(when):
    ticket = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(created_at=when)
    ticket.refresh_from_db()
    return ticket


def move(ticket, state, when):
    ticket.state = state
    ticket.save()
    return {t.metric: t for t in services.timers_sync(ticket, cause=f"to {state}", now=when)}


def test_a_timer_started_friday_evening_counts_friday_to_six_then_monday_from_nine(make_target, office):
    make_target(goal=4 * H, calendar=office, pause_states=[TicketState.IN_PROGRESS])
    ticket = ticket_opened(at(14, 17))  # Friday 17:00
    services.timers_sync(ticket, cause="opened", now=at(14, 17))
    move(ticket, TicketState.IN_PROGRESS, at(17, 10))  # Monday 10:00: paused
    timer = move(ticket, TicketState.NEW, at(17, 11))["resolution"]  # Monday 11:00: running again

    explanation = explain.explain(timer, now=at(17, 12, 30))

    assert [(e.kind, e.at, e.cause, e.elapsed) for e in explanation.events] == [
        ("start", at(14, 17), "opened", timedelta(0)),
        ("pause", at(17, 10), "to in_progress", 2 * H),
        ("resume", at(17, 11), "to new", 2 * H),
    ]
    first, second = explanation.intervals
    assert (first.start, first.end, first.ongoing, first.counted) == (at(14, 17), at(17, 10), False, 2 * H)
    assert first.segments == [(at(14, 17), at(14, 18)), (at(17, 9), at(17, 10))]
    assert (second.segments, second.ongoing, second.counted) == ([(at(17, 11), at(17, 12, 30))], True, 1.5 * H)
    assert timer.due_at == at(17, 13)  # 1 h Friday + 1 h Monday morning + 2 h from 11:00


def test_a_long_interval_lists_the_first_segments_and_counts_the_rest(make_target, office):
    make_target(goal=200 * H, calendar=office)
    ticket = ticket_opened(at(3, 9))  # Monday 3 November
    [timer] = services.timers_sync(ticket, cause="opened", now=at(3, 9))

    [interval] = explain.explain(timer, now=at(28, 18), limit=5).intervals

    assert len(interval.segments) == 5 and interval.more_segments == 15  # 20 working days
    assert interval.counted == 20 * 9 * H


def test_clock_colours_by_threshold_and_people_read_durations():
    assert [explain.bar_colour(p, False) for p in (10, 49.9, 50, 75, 89, 90)] == [
        "green", "green", "yellow", "orange", "orange", "red"]
    assert explain.bar_colour(20, True) == "red"
    assert [explain.humanize(d) for d in (timedelta(seconds=30), 90 * timedelta(minutes=1), 8 * H,
                                          timedelta(days=3, hours=2, minutes=5))] == [
        "30 s", "1 h 30 min", "8 h", "3 d 2 h 5 min"]
