"""RRULE recurrence of schedule windows (itsm/recurrence.py): checking rules, expanding them."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from itsm.recurrence import occurrences, overlaps, validate_rrule

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def saturday_nights(rrule: str, window_start: dt.datetime, window_end: dt.datetime, **kwargs):
    """A window every Saturday 22:00-02:00 Berlin time, first held on 2 March 2024 (winter time)."""
    return occurrences(start=berlin(2024, 3, 2, 22), end=berlin(2024, 3, 3, 2), rrule=rrule, tz="Europe/Berlin",
                       window_start=window_start, window_end=window_end, **kwargs)


@pytest.mark.parametrize(("text", "normalised"), [
    ("", ""),
    ("   ", ""),
    ("RRULE:", ""),
    ("FREQ=WEEKLY;BYDAY=SA,SU", "FREQ=WEEKLY;BYDAY=SA,SU"),
    ("rrule:freq=weekly;byday=sa, su;", "FREQ=WEEKLY;BYDAY=SA,SU"),
    ("BYDAY=SA;INTERVAL=02;FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA"),
    ("FREQ=MONTHLY;BYDAY=+1SA;BYHOUR=22,22", "FREQ=MONTHLY;BYDAY=1SA;BYHOUR=22"),
    ("FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20251231T230000Z", "FREQ=MONTHLY;UNTIL=20251231T230000Z;BYMONTHDAY=-1"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=3", "FREQ=YEARLY;COUNT=3;BYMONTH=2;BYMONTHDAY=29"),
    ("FREQ=HOURLY;INTERVAL=6;UNTIL=20260101", "FREQ=HOURLY;INTERVAL=6;UNTIL=20260101"),
])
def test_a_valid_rule_is_normalised(text, normalised):
    assert validate_rrule(text) == normalised


@pytest.mark.parametrize(("text", "code", "message"), [
    ("every saturday", "invalid", "Enter a recurrence rule such as “FREQ=WEEKLY;BYDAY=SA,SU”."),
    ("FREQ=WEEKLY\nBYDAY=SA", "invalid", "Enter a recurrence rule such as “FREQ=WEEKLY;BYDAY=SA,SU”."),
    ("DTSTART:20240302T220000Z", "invalid", "Enter a recurrence rule such as “FREQ=WEEKLY;BYDAY=SA,SU”."),
    ("BYDAY=SA", "no_frequency", "A recurrence rule needs a frequency (FREQ)."),
    ("FREQ=MINUTELY", "too_frequent", "A recurrence rule cannot repeat more often than hourly."),
    ("FREQ=SECONDLY;INTERVAL=30", "too_frequent", "A recurrence rule cannot repeat more often than hourly."),
    ("FREQ=FORTNIGHTLY", "invalid_part", "“FREQ=FORTNIGHTLY” is not valid in a recurrence rule."),
    ("FREQ=WEEKLY;BYDAY=XX", "invalid_part", "“BYDAY=XX” is not valid in a recurrence rule."),
    ("FREQ=WEEKLY;BYHOUR=24", "invalid_part", "“BYHOUR=24” is not valid in a recurrence rule."),
    ("FREQ=WEEKLY;INTERVAL=0", "invalid_part", "“INTERVAL=0” is not valid in a recurrence rule."),
    ("FREQ=WEEKLY;UNTIL=20250230", "invalid_part", "“UNTIL=20250230” is not valid in a recurrence rule."),
    ("FREQ=WEEKLY;BYEASTER=0", "invalid_part", "“BYEASTER=0” is not valid in a recurrence rule."),
    ("FREQ=WEEKLY;BYSETPOS=1", "invalid_part", "“BYSETPOS=1” is not valid in a recurrence rule."),
    ("FREQ=WEEKLY;BYDAY=SA;BYDAY=SU", "repeated", "BYDAY appears more than once in the recurrence rule."),
    ("FREQ=WEEKLY;COUNT=3;UNTIL=20250101", "count_and_until", "A recurrence rule cannot have both COUNT and UNTIL."),
    ("FREQ=WEEKLY;BYDAY=1SA", "combination", "BYDAY=1SA cannot be used with FREQ=WEEKLY."),
    ("FREQ=DAILY;BYYEARDAY=100", "combination", "BYYEARDAY cannot be used with FREQ=DAILY."),
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "never", "This recurrence rule never occurs."),
    ("FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2", "never", "This recurrence rule never occurs."),
])
def test_an_invalid_rule_is_refused_with_a_message(text, code, message):
    with pytest.raises(ValidationError) as refused:
        validate_rrule(text)

    assert (refused.value.code, refused.value.messages) == (code, [message])


def test_a_one_off_is_its_interval_when_it_meets_the_window():
    start, end = berlin(2024, 3, 2, 22), berlin(2024, 3, 3, 2)

    def one_off(window_start, window_end):
        return occurrences(start=start, end=end, rrule="", tz="Europe/Berlin", window_start=window_start,
                           window_end=window_end)

    assert one_off(utc(2024, 3, 1), utc(2024, 3, 8)) == [(utc(2024, 3, 2, 21), utc(2024, 3, 3, 1))]
    assert one_off(utc(2024, 3, 3, 0, 30), utc(2024, 3, 3, 0, 45)) == [(utc(2024, 3, 2, 21), utc(2024, 3, 3, 1))]
    # Half-open: a window that ends when the interval starts, or starts when it ends, misses it.
    assert one_off(utc(2024, 3, 1), utc(2024, 3, 2, 21)) == []
    assert one_off(utc(2024, 3, 3, 1), utc(2024, 3, 8)) == []


def test_weekly_occurrences_in_a_window():
    assert saturday_nights("FREQ=WEEKLY", utc(2024, 3, 4), utc(2024, 3, 24)) == [
        (utc(2024, 3, 9, 21), utc(2024, 3, 10, 1)),
        (utc(2024, 3, 16, 21), utc(2024, 3, 17, 1)),
        (utc(2024, 3, 23, 21), utc(2024, 3, 24, 1)),
    ]
    assert saturday_nights("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU;BYHOUR=10", utc(2024, 3, 4), utc(2024, 3, 24)) == [
        (utc(2024, 3, 16, 9), utc(2024, 3, 16, 13)),
        (utc(2024, 3, 17, 9), utc(2024, 3, 17, 13)),
    ]


def test_the_wall_clock_times_stay_over_a_change_to_and_from_summer_time():
    # Summer time starts on 31 March 2024 at 02:00 (clocks go to 03:00) and ends on 27 October
    # at 03:00 (back to 02:00): the window still opens at 22:00 and closes at 02:00 Berlin time.
    spring = saturday_nights("FREQ=WEEKLY", utc(2024, 3, 25), utc(2024, 4, 10))
    autumn = saturday_nights("FREQ=WEEKLY", utc(2024, 10, 20), utc(2024, 11, 4))

    assert spring == [
        (utc(2024, 3, 30, 21), utc(2024, 3, 31, 1)),  # 02:00 does not exist that night: 03:00 summer time
        (utc(2024, 4, 6, 20), utc(2024, 4, 7, 0)),
    ]
    assert [(start.astimezone(BERLIN).hour, end.astimezone(BERLIN).hour) for start, end in spring] == [(22, 3), (22, 2)]
    assert autumn == [
        (utc(2024, 10, 26, 20), utc(2024, 10, 27, 0)),  # 02:00 twice that night: the first one
        (utc(2024, 11, 2, 21), utc(2024, 11, 3, 1)),
    ]


def test_an_evening_window_keeps_its_local_length_over_the_change():
    # 20:00-04:00 is eight hours of clock time, nine when the clocks go back in between.
    found = occurrences(start=berlin(2024, 10, 19, 20), end=berlin(2024, 10, 20, 4), rrule="FREQ=WEEKLY",
                        tz="Europe/Berlin", window_start=utc(2024, 10, 25), window_end=utc(2024, 10, 28))

    assert found == [(utc(2024, 10, 26, 18), utc(2024, 10, 27, 3))]


def test_an_occurrence_that_started_before_the_window_overlaps_it():
    assert saturday_nights("FREQ=WEEKLY", utc(2024, 4, 6, 23), utc(2024, 4, 7, 12)) == [
        (utc(2024, 4, 6, 20), utc(2024, 4, 7, 0)),
    ]
    assert saturday_nights("FREQ=WEEKLY", utc(2024, 4, 7, 0), utc(2024, 4, 7, 12)) == []


def test_a_rule_from_years_back_is_expanded_near_the_window():
    # The same instants whether the search starts near the window (no COUNT) or walks from the
    # first occurrence (a COUNT never reached).
    window = {"window_start": utc(2031, 6, 1), "window_end": utc(2031, 6, 15)}
    rules = ["FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,TH;WKST=SU", "FREQ=DAILY;INTERVAL=5",
             "FREQ=DAILY;BYDAY=FR;BYHOUR=6,18", "FREQ=HOURLY;INTERVAL=7;BYDAY=MO", "FREQ=WEEKLY;BYDAY=MO,TU;BYSETPOS=-1"]
    for rule in rules:
        assert saturday_nights(rule, **window) == saturday_nights(f"{rule};COUNT=999999", **window), rule

    assert saturday_nights("FREQ=DAILY;INTERVAL=5", **window) == [
        (utc(2031, 6, 4, 20), utc(2031, 6, 5, 0)),  # 2650 days after 2 March 2024, 22:00 summer time
        (utc(2031, 6, 9, 20), utc(2031, 6, 10, 0)),
        (utc(2031, 6, 14, 20), utc(2031, 6, 15, 0)),
    ]


def test_until_and_count_end_the_rule():
    window = {"window_start": utc(2024, 3, 1), "window_end": utc(2024, 4, 1)}
    third = [(utc(2024, 3, 2, 21), utc(2024, 3, 3, 1)), (utc(2024, 3, 9, 21), utc(2024, 3, 10, 1)),
             (utc(2024, 3, 16, 21), utc(2024, 3, 17, 1))]

    assert saturday_nights("FREQ=WEEKLY;COUNT=3", **window) == third
    assert saturday_nights("FREQ=WEEKLY;UNTIL=20240316T210000Z", **window) == third  # inclusive
    assert saturday_nights("FREQ=WEEKLY;UNTIL=20240316T205959Z", **window) == third[:2]
    assert saturday_nights("FREQ=WEEKLY;UNTIL=20240316", **window) == third  # the whole day, Berlin time
    assert saturday_nights("FREQ=WEEKLY;UNTIL=20240316T215959", **window) == third[:2]  # Berlin time
    assert saturday_nights("FREQ=WEEKLY;UNTIL=20240301", **window) == third[:1]  # the first is always held


def test_the_first_interval_counts_even_when_the_rule_does_not_produce_it():
    # First held on a Friday, then on Saturdays: the Friday is the first of COUNT=2.
    found = occurrences(start=berlin(2024, 3, 1, 22), end=berlin(2024, 3, 1, 23), rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=2",
                        tz="Europe/Berlin", window_start=utc(2024, 2, 1), window_end=utc(2024, 5, 1))

    assert found == [(utc(2024, 3, 1, 21), utc(2024, 3, 1, 22)), (utc(2024, 3, 2, 21), utc(2024, 3, 2, 22))]


def test_hourly_occurrences_skip_the_hour_summer_time_takes():
    found = occurrences(start=berlin(2024, 3, 31, 0, 30), end=berlin(2024, 3, 31, 0, 45), rrule="FREQ=HOURLY;COUNT=4",
                        tz="Europe/Berlin", window_start=utc(2024, 3, 30), window_end=utc(2024, 4, 1))

    # 00:30, 01:30, 02:30 (which does not exist: 03:30 summer time), 03:30 (the same instant).
    assert found == [(utc(2024, 3, 30, 23, 30), utc(2024, 3, 30, 23, 45)),
                     (utc(2024, 3, 31, 0, 30), utc(2024, 3, 31, 0, 45)),
                     (utc(2024, 3, 31, 1, 30), utc(2024, 3, 31, 1, 45))]


def test_the_limit_bounds_the_list():
    window = {"window_start": utc(2024, 3, 1), "window_end": utc(2025, 3, 1)}

    assert saturday_nights("FREQ=DAILY", limit=3, **window) == [
        (utc(2024, 3, 2, 21), utc(2024, 3, 3, 1)),
        (utc(2024, 3, 3, 21), utc(2024, 3, 4, 1)),
        (utc(2024, 3, 4, 21), utc(2024, 3, 5, 1)),
    ]
    assert len(saturday_nights("FREQ=DAILY", **window)) == 364  # 2 March 2024 to 28 February 2025
    assert len(saturday_nights("FREQ=HOURLY", **window)) == 1000
    assert saturday_nights("FREQ=DAILY", limit=0, **window) == []
    assert saturday_nights("", limit=0, **window) == []


def test_an_invalid_rule_or_naive_times_are_refused():
    with pytest.raises(ValidationError):
        saturday_nights("FREQ=MINUTELY", utc(2024, 3, 1), utc(2024, 4, 1))
    with pytest.raises(ValueError, match="aware"):
        saturday_nights("FREQ=WEEKLY", dt.datetime(2024, 3, 1), utc(2024, 4, 1))
    with pytest.raises(ValueError, match="end after"):
        occurrences(start=utc(2024, 3, 1), end=utc(2024, 3, 1), rrule="", tz="UTC", window_start=utc(2024, 3, 1),
                    window_end=utc(2024, 4, 1))


def test_overlaps_is_half_open():
    assert overlaps(utc(2024, 1, 1, 8), utc(2024, 1, 1, 10), utc(2024, 1, 1, 9), utc(2024, 1, 1, 11))
    assert overlaps(utc(2024, 1, 1, 8), utc(2024, 1, 1, 10), utc(2024, 1, 1, 8, 30), utc(2024, 1, 1, 9))
    assert not overlaps(utc(2024, 1, 1, 8), utc(2024, 1, 1, 10), utc(2024, 1, 1, 10), utc(2024, 1, 1, 11))
    assert not overlaps(utc(2024, 1, 1, 10), utc(2024, 1, 1, 11), utc(2024, 1, 1, 8), utc(2024, 1, 1, 10))


def test_a_first_occurrence_with_microseconds_is_found_once():
    start = dt.datetime(2026, 1, 6, 14, 0, 0, 123456, tzinfo=dt.UTC)
    found = occurrences(start=start, end=start + dt.timedelta(hours=1), rrule="FREQ=WEEKLY", tz="UTC",
                        window_start=start - dt.timedelta(days=1), window_end=start + dt.timedelta(days=8))
    assert [s for s, _e in found] == [start.replace(microsecond=0), start.replace(microsecond=0) + dt.timedelta(days=7)]
