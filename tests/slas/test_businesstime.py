"""Business-time arithmetic: worked examples (China's holidays and make-up days, daylight
saving, the exact boundary) and property-based invariants over random calendars."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slas.businesstime import BusinessCalendar, NoWorkingTime, add, between, is_business_time, next_business_instant

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)
OFFICE = ((9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60))  # 09:00–12:00 and 13:30–18:00: 7.5 h a day
WEEKDAYS = {day: OFFICE for day in range(5)}


def at(zone, *args):
    return datetime(*args, tzinfo=zone)


def china_2025():
    # National Day week 2025: closed 1–8 October; Sunday 28 September and Saturday 11 October are worked.
    return BusinessCalendar(
        "Asia/Shanghai", WEEKDAYS,
        closed_days=frozenset(date(2025, 10, day) for day in range(1, 9)),
        extra_working_days={date(2025, 9, 28): OFFICE, date(2025, 10, 11): OFFICE},
    )


def test_adding_skips_lunch_and_the_night():
    calendar = BusinessCalendar("Asia/Shanghai", WEEKDAYS)

    due = add(calendar, at(SHANGHAI, 2025, 3, 3, 11, 0), 4 * H)  # Monday 11:00, four hours

    assert due == at(SHANGHAI, 2025, 3, 3, 16, 30)
    assert add(calendar, at(SHANGHAI, 2025, 3, 3, 17, 0), 2 * H) == at(SHANGHAI, 2025, 3, 4, 10, 0)


def test_holidays_are_skipped_and_make_up_days_are_worked():
    calendar = china_2025()

    # Friday 26 September 17:00 + 2 h: one hour on Friday, one on the make-up Sunday 28th.
    assert add(calendar, at(SHANGHAI, 2025, 9, 26, 17, 0), 2 * H) == at(SHANGHAI, 2025, 9, 28, 10, 0)
    # Tuesday 30 September 18:00 + 1 h: the holiday week is skipped; Thursday 9 October 10:00.
    assert add(calendar, at(SHANGHAI, 2025, 9, 30, 18, 0), H) == at(SHANGHAI, 2025, 10, 9, 10, 0)
    # The make-up Saturday 11 October counts; the ordinary Sunday after it does not.
    assert between(calendar, at(SHANGHAI, 2025, 10, 10, 18, 0), at(SHANGHAI, 2025, 10, 13, 9, 0)) == 7.5 * H


def test_elapsed_exactly_equal_to_the_goal_ends_at_the_interval_end():
    calendar = BusinessCalendar("Asia/Shanghai", WEEKDAYS)
    start = at(SHANGHAI, 2025, 3, 3, 9, 0)

    due = add(calendar, start, 7.5 * H)

    assert due == at(SHANGHAI, 2025, 3, 3, 18, 0)  # not the next morning
    assert between(calendar, start, due) == 7.5 * H
    assert add(calendar, start, timedelta(0)) == start


def test_daylight_saving_days_keep_real_durations():
    calendar = BusinessCalendar("Europe/London", {day: ((0, 1440),) for day in range(7)})

    # 30 March 2025: clocks go forward at 01:00, so the local day lasts 23 hours.
    day_start, next_day = at(LONDON, 2025, 3, 30, 0, 0), at(LONDON, 2025, 3, 31, 0, 0)
    assert between(calendar, day_start, next_day) == 23 * H
    # 26 October 2025: clocks go back, 25 hours.
    assert between(calendar, at(LONDON, 2025, 10, 26, 0, 0), at(LONDON, 2025, 10, 27, 0, 0)) == 25 * H

    office = BusinessCalendar("Europe/London", WEEKDAYS)
    friday_before = at(LONDON, 2025, 3, 28, 17, 0)
    assert add(office, friday_before, 2 * H) == at(LONDON, 2025, 3, 31, 10, 0)  # 09:00 BST is 08:00 UTC
    assert add(office, friday_before, 2 * H).astimezone(UTC).hour == 9


def test_next_business_instant():
    calendar = BusinessCalendar("Asia/Shanghai", WEEKDAYS)

    assert next_business_instant(calendar, at(SHANGHAI, 2025, 3, 3, 12, 15)) == at(SHANGHAI, 2025, 3, 3, 13, 30)
    assert next_business_instant(calendar, at(SHANGHAI, 2025, 3, 8, 10, 0)) == at(SHANGHAI, 2025, 3, 10, 9, 0)
    assert is_business_time(calendar, at(SHANGHAI, 2025, 3, 3, 9, 0))
    assert not is_business_time(calendar, at(SHANGHAI, 2025, 3, 3, 18, 0))  # intervals are half-open


def test_bad_input_is_refused():
    calendar = BusinessCalendar("UTC", WEEKDAYS)
    with pytest.raises(ValueError, match="timezone-aware"):
        add(calendar, datetime(2025, 1, 1, 9), H)
    with pytest.raises(ValueError, match="negative"):
        add(calendar, at(UTC, 2025, 1, 1, 9), -H)
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar("UTC", {0: ((540, 720), (700, 800))})
    with pytest.raises(NoWorkingTime):
        add(BusinessCalendar("UTC", {}), at(UTC, 2025, 1, 1), H)


# --- properties --------------------------------------------------------------------------------

ZONES = ["UTC", "Asia/Shanghai", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]


@st.composite
def day_intervals(draw):
    points = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
    pairs = [(points[i] * 15, points[i + 1] * 15) for i in range(0, len(points) - 1, 2)]
    return tuple((start, end) for start, end in pairs if start < end)


@st.composite
def calendars(draw):
    weekly = {day: draw(day_intervals()) for day in range(7)}
    # At least a working day a week: with 15 minutes a week, the 400 hours the properties add
    # take longer than the search limit (ten years) and `add` rightly raises NoWorkingTime.
    if sum(end - start for intervals in weekly.values() for start, end in intervals) < 8 * 60:
        weekly[draw(st.integers(0, 6))] = ((9 * 60, 17 * 60),)
    base = date(2025, 1, 1)
    closed = draw(st.sets(st.integers(0, 400), max_size=20))
    extra = draw(st.dictionaries(st.integers(0, 400), day_intervals(), max_size=5))
    return BusinessCalendar(
        draw(st.sampled_from(ZONES)), weekly,
        closed_days=frozenset(base + timedelta(days=d) for d in closed),
        extra_working_days={base + timedelta(days=d): v for d, v in extra.items()},
    )


instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC))
durations = st.integers(0, 200 * 3600).map(lambda s: timedelta(seconds=s))


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, durations)
def test_the_time_between_start_and_due_is_the_duration(calendar, start, duration):
    assert between(calendar, start, add(calendar, start, duration)) == duration


@settings(max_examples=200, deadline=None)
@given(calendars(), instants, durations, durations)
def test_adding_more_never_ends_earlier_and_adds_up(calendar, start, first, second):
    after_first = add(calendar, start, first)
    assert add(calendar, start, first + second) >= after_first
    assert add(calendar, start, first + second) == add(calendar, after_first, second)


@settings(max_examples=200, deadline=None)
@given(calendars(), instants, instants, instants)
def test_business_time_is_additive_and_bounded_by_real_time(calendar, a, b, c):
    a, b, c = sorted((a, b, c))
    assert between(calendar, a, b) + between(calendar, b, c) == between(calendar, a, c)
    assert timedelta(0) <= between(calendar, a, c) <= c - a


@settings(max_examples=200, deadline=None)
@given(calendars(), instants)
def test_the_next_business_instant_is_working_time_with_nothing_before_it(calendar, instant):
    upcoming = next_business_instant(calendar, instant)
    assert upcoming >= instant
    assert between(calendar, instant, upcoming) == timedelta(0)
    assert is_business_time(calendar, upcoming)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ZONES), instants, durations)
def test_a_24x7_calendar_is_plain_time(zone, start, duration):
    calendar = BusinessCalendar.always(zone)
    assert add(calendar, start, duration) == start + duration
