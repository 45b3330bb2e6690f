"""Due-date targets (issue 17): a goal can be "end of the next business day", "by 17:00 on the
third business day" or "the next business instant", computed on the target's calendar; and the
calendar's next-business-instant question. Targets and timers through the API."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils.dateparse import parse_datetime, parse_duration
from hypothesis import given, settings
from hypothesis import strategies as st

from itsm.services import system_actor
from slas import businesstime, services
from slas.choices import GoalKind
from slas.goals import due_instant
from tests.assertions import assert_nothing_written
from tests.kernel_app.factories import make_ticket

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
URL = "/api/v1/slas"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
OFFICE = {**{day: [["09:00", "17:00"]] for day in WEEKDAYS}, "sat": [], "sun": []}
MONDAY = datetime(2026, 11, 2, 9, tzinfo=UTC)


@pytest.fixture
def office(db):
    return services.calendar_create(actor=system_actor(), data={"name": "Office", "weekly_hours": OFFICE,
                                                                 "time_zone": "UTC"})


@pytest.fixture
def relative_target(api, admin_user, office, agreement):
    def create(**goal):
        api.force_authenticate(admin_user)
        answer = api.post(f"{URL}/targets/", {"agreement": agreement.pk, "name": "Due", "metric": "resolution",
                                              "record_type": "ticket", "calendar": office.pk, **goal}, format="json")
        assert answer.status_code == 201, answer.json()
        return answer.json()
    return create


def timer_started_at(api, start):
    ticket = make_ticket()
    ticket.created_at = start
    services.timers_sync(ticket, cause="created", now=start)
    return api.get(f"{URL}/timers/", {"record_type": "ticket", "object_id": ticket.pk}).json()["results"][0]


@pytest.mark.parametrize(("start", "due"), [
    (MONDAY + 6 * H, MONDAY + 24 * H + 8 * H),                     # Monday 15:00 → Tuesday 17:00
    (MONDAY + 4 * 24 * H + 9 * H, MONDAY + 7 * 24 * H + 8 * H),    # Friday 18:00 → next Monday 17:00
])
def test_end_of_the_next_business_day(api, relative_target, start, due):
    target = relative_target(goal_kind="end_of_business_day", goal_days=1)
    timer = timer_started_at(api, start)

    assert target["goal_kind"] == "end_of_business_day" and target["goal"] == "00:00:00"
    assert parse_datetime(timer["due_at"]) == due
    assert parse_duration(timer["goal"]) == businesstime.between(
        businesstime.BusinessCalendar("UTC", {d: ((540, 1020),) for d in range(5)}), start, due)


def test_by_five_pm_on_the_third_business_day(api, relative_target):
    relative_target(goal_kind="business_day_at", goal_days=3, goal_time="16:00")
    timer = timer_started_at(api, MONDAY + 6 * H)  # Monday 15:00 → Thursday 16:00

    assert parse_datetime(timer["due_at"]) == MONDAY + 3 * 24 * H + 7 * H
    assert parse_duration(timer["goal"]) == 2 * H + 8 * H + 8 * H + 7 * H


def test_the_next_business_instant_is_breached_as_soon_as_business_time_accrues(api, relative_target):
    relative_target(goal_kind="next_business_instant")
    saturday = MONDAY + 5 * 24 * H + H
    ticket = make_ticket()
    ticket.created_at = saturday
    services.timers_sync(ticket, cause="created", now=saturday)
    next_monday = MONDAY + 7 * 24 * H
    at_nine = {t.metric: t for t in services.timers_sync(ticket, cause="check", now=next_monday)}
    after = {t.metric: t for t in services.timers_sync(ticket, cause="check", now=next_monday + timedelta(seconds=1))}

    assert at_nine["resolution"].breached_at is None
    assert after["resolution"].breached_at == next_monday


def test_relative_goals_refuse_what_they_lack(api, admin_user, office, agreement):
    api.force_authenticate(admin_user)
    base = {"agreement": agreement.pk, "name": "x", "metric": "resolution", "record_type": "ticket",
            "calendar": office.pk}

    with assert_nothing_written():
        no_time = api.post(f"{URL}/targets/", {**base, "goal_kind": "business_day_at", "goal_days": 2}, format="json")
        too_far = api.post(f"{URL}/targets/", {**base, "goal_kind": "end_of_business_day", "goal_days": 31},
                           format="json")
        no_goal = api.post(f"{URL}/targets/", base, format="json")

    assert "goal_time" in no_time.json()["error"]["fields"]
    assert "goal_days" in too_far.json()["error"]["fields"]
    assert "goal" in no_goal.json()["error"]["fields"]


def test_the_calendar_answers_the_next_business_instant_in_its_own_zone(api, agent):
    shanghai = services.calendar_create(actor=system_actor(), data={
        "name": "Shanghai office", "weekly_hours": OFFICE, "time_zone": "Asia/Shanghai"})
    api.force_authenticate(agent)

    saturday = api.post(f"{URL}/calendars/{shanghai.pk}/next-business-instant/",
                        {"instant": "2026-11-07T10:00:00+08:00"}, format="json")
    working = api.post(f"{URL}/calendars/{shanghai.pk}/next-business-instant/",
                       {"instant": "2026-11-06T02:30:00Z"}, format="json")
    naive = api.post(f"{URL}/calendars/{shanghai.pk}/next-business-instant/",
                     {"instant": "2026-11-06T10:30:00"}, format="json")

    assert saturday.json()["next_business_instant"] == "2026-11-09T09:00:00+08:00"
    assert saturday.json()["is_business_time"] is False
    assert working.json() == {"instant": "2026-11-06T10:30:00+08:00", "next_business_instant":
                              "2026-11-06T10:30:00+08:00", "is_business_time": True, "calendar_version": 1}
    assert naive.status_code == 400


CALENDAR = businesstime.BusinessCalendar("Asia/Shanghai", {d: ((540, 720), (780, 1080)) for d in range(5)})


@settings(max_examples=150, deadline=None)
@given(start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
       days=st.integers(min_value=0, max_value=10))
def test_end_of_business_day_is_the_end_of_a_working_interval_on_or_after_the_start(start, days):
    due = due_instant(GoalKind.END_OF_BUSINESS_DAY, CALENDAR, start, days=days)
    local = due.astimezone(CALENDAR.zone)

    assert due >= start
    assert (local.hour, local.minute) == (18, 0) and local.weekday() < 5
    # No whole business day is skipped: days - 1 business days lie strictly between start and due.
    assert businesstime.between(CALENDAR, start, due) <= (days + 1) * 8 * H
