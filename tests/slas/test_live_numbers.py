"""Live numbers in the API: every timer read answers elapsed, remaining and percentage as of
the request (not as of the timer's last change or sweep), business and actual pause durations
and the due instant, in ISO 8601; the browser shows goals in business hours and minutes."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_duration

from itsm.services import system_actor
from slas import explain, services
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import TicketState

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
URL = "/api/v1/slas"
OFFICE = {**{day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}, "sat": [], "sun": []}


def sync(ticket, at):
    return {t.metric: t for t in services.timers_sync(ticket, cause="test", now=at)}


def set_state(ticket, state, at=None):
    ticket.state = state
    ticket.save()
    if at is not None:
        ticket.updated_at = at
    return ticket


def timer_of(api, ticket):
    return api.get(f"{URL}/timers/", {"record_type": "ticket", "object_id": ticket.pk}).json()["results"][0]


def test_a_running_timer_answers_its_numbers_as_of_now_not_as_of_its_last_change(api, agent, make_target):
    make_target(goal=4 * H, pause_states=[TicketState.IN_PROGRESS])
    start = timezone.now() - 3 * H
    ticket = make_ticket()
    ticket.created_at = start
    sync(ticket, start)
    sync(set_state(ticket, TicketState.IN_PROGRESS), start + H)
    sync(set_state(ticket, TicketState.NEW), start + H + 30 * timedelta(minutes=1))
    api.force_authenticate(agent)

    before = timezone.now()
    timer = timer_of(api, ticket)
    detail = api.get(f"{URL}/timers/{timer['id']}/").json()
    live = timer["live"]
    as_of = parse_datetime(live["as_of"])

    assert parse_duration(timer["elapsed"]) == H  # stored, counted up to the resume
    assert before <= as_of <= timezone.now()
    elapsed = as_of - start - 30 * timedelta(minutes=1)  # 24×7: every instant but the pause counts
    assert parse_duration(live["elapsed"]) == elapsed
    assert parse_duration(live["remaining"]) == 4 * H - elapsed
    assert live["percent"] == round(elapsed / (4 * H) * 100, 1) and 60 <= live["percent"] < 65
    assert parse_duration(live["paused_actual"]) == parse_duration(live["paused_business"]) == 30 * timedelta(minutes=1)
    assert live["goal"] == "P0DT04H00M00S" and live["elapsed"].startswith("P0DT02H")
    assert parse_datetime(live["due_at"]) == start + 4 * H + 30 * timedelta(minutes=1)
    assert live["breached_at"] is None
    assert detail["live"]["paused_actual"] == live["paused_actual"] and len(detail["events"]) == 3


def test_pauses_are_counted_in_business_and_in_actual_time(api, agent, make_target):
    office = services.calendar_create(actor=system_actor(), data={"name": "Office", "weekly_hours": OFFICE,
                                                                   "time_zone": "UTC"})
    make_target(goal=37 * H + 30 * timedelta(minutes=1), calendar=office, pause_states=[TicketState.IN_PROGRESS])
    monday = datetime(2026, 11, 2, 9, tzinfo=UTC)
    ticket = make_ticket()
    ticket.created_at = monday
    sync(ticket, monday)
    sync(set_state(ticket, TicketState.IN_PROGRESS), monday + 7 * H)  # Monday 16:00
    sync(set_state(ticket, TicketState.NEW), monday + 25 * H)  # Tuesday 10:00
    sync(set_state(ticket, TicketState.RESOLVED, at=monday + 27 * H), monday + 27 * H)  # Tuesday 12:00
    api.force_authenticate(agent)

    live = timer_of(api, ticket)["live"]

    # Paused 16:00 to 10:00 the next morning: 18 hours of wall-clock time, 2 of them working hours.
    assert parse_duration(live["paused_actual"]) == 18 * H
    assert parse_duration(live["paused_business"]) == 2 * H
    assert parse_duration(live["elapsed"]) == 9 * H  # stopped: as of now is as of the stop
    assert parse_duration(live["remaining"]) == 28 * H + 30 * timedelta(minutes=1)
    assert live["percent"] == 24.0
    assert live["goal"] == "P1DT13H30M00S"
    assert explain.business_hours(parse_duration(live["goal"])) == "37 h 30 min"


def test_goals_read_in_business_hours_and_minutes():
    assert [explain.business_hours(d) for d in (37 * H + 30 * timedelta(minutes=1), 8 * H, 45 * timedelta(minutes=1),
                                               48 * H, timedelta(seconds=30))] == [
        "37 h 30 min", "8 h", "45 min", "48 h", "30 s"]


def test_paused_intervals_end_at_the_resume_the_stop_or_now():
    class Event:
        def __init__(self, kind, at):
            self.kind, self.at = kind, at

    t0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
    events = [Event("start", t0), Event("pause", t0 + H), Event("resume", t0 + 2 * H), Event("pause", t0 + 3 * H)]
    assert explain.paused_intervals(events, t0 + 5 * H) == [(t0 + H, t0 + 2 * H), (t0 + 3 * H, t0 + 5 * H)]
    stopped = [*events, Event("stop", t0 + 4 * H)]
    assert explain.paused_intervals(stopped, t0 + 5 * H) == [(t0 + H, t0 + 2 * H), (t0 + 3 * H, t0 + 4 * H)]


def test_the_settings_pages_show_goals_in_business_hours_and_minutes(client, admin_user, agreement, make_target):
    from django.urls import reverse

    target = make_target(goal=37 * H + 30 * timedelta(minutes=1))
    client.force_login(admin_user)

    agreement_page = client.get(reverse("sla_agreement_detail", args=[agreement.pk])).content.decode()
    target_page = client.get(reverse("sla_target_update", args=[target.pk])).content.decode()

    assert "37 h 30 min" in agreement_page and "37 h 30 min" in target_page
