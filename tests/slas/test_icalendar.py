"""Closed days imported from an iCalendar file: every event a closed day named by its
summary, one calendar version for the whole file; a bad file writes nothing."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from itsm.services import system_actor
from slas import services
from slas.icalendar import parse_closed_days
from slas.models import CalendarDay, CalendarVersion
from tests.assertions import assert_nothing_written

pytestmark = pytest.mark.django_db


@pytest.fixture
def always(round_the_clock):
    """The built-in 24×7 calendar is immutable: these tests change theirs, so use one of our own."""
    return round_the_clock


HOLIDAYS_ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example//Holidays//EN\r
BEGIN:VEVENT\r
UID:1@example.com\r
DTSTAMP:20250101T000000Z\r
DTSTART;VALUE=DATE:20251224\r
DTEND;VALUE=DATE:20251226\r
SUMMARY:Christmas closure\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@example.com\r
DTSTAMP:20250101T000000Z\r
DTSTART:20251231T090000Z\r
DTEND:20251231T170000Z\r
SUMMARY:Inventory day\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_events_become_closed_days_named_by_their_summary():
    days = parse_closed_days(HOLIDAYS_ICS)

    assert [(d.date, d.name) for d in days] == [
        (date(2025, 12, 24), "Christmas closure"), (date(2025, 12, 25), "Christmas closure"),
        (date(2025, 12, 31), "Inventory day")]


def test_import_declares_the_days_in_one_new_version(always):
    versions_before = CalendarVersion.objects.filter(calendar=always).count()

    count = services.calendar_import_ics(actor=system_actor(), calendar=always, content=HOLIDAYS_ICS)

    assert count == 3
    assert list(CalendarDay.objects.filter(calendar=always).values_list("date", "kind", "name")) == [
        (date(2025, 12, 24), "closed", "Christmas closure"), (date(2025, 12, 25), "closed", "Christmas closure"),
        (date(2025, 12, 31), "closed", "Inventory day")]
    latest = always.versions.order_by("-number").first()
    assert always.versions.count() == versions_before + 1
    assert latest.summary == "Imported 3 closed days from 2025-12-24 to 2025-12-31"
    assert "2025-12-25" in latest.definition["closed"]


@pytest.mark.parametrize("content", [b"this is not a calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                                     "\xff\xfe".encode("latin-1")])
def test_a_bad_file_is_refused_clearly_and_writes_nothing(always, content):
    actor = system_actor()

    with assert_nothing_written(), pytest.raises(ValidationError) as refused:
        services.calendar_import_ics(actor=actor, calendar=always, content=content)

    assert list(refused.value.message_dict) == ["file"]


def ics(*events: str) -> bytes:
    """A calendar of these events (content lines of each); an event without a UID gets its own."""
    body = ""
    for n, event in enumerate(events):
        uid = "" if "UID:" in event else f"UID:{n}@example.com\r\n"
        body += f"BEGIN:VEVENT\r\n{uid}DTSTAMP:20250101T000000Z\r\n{event}END:VEVENT\r\n"
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Holidays//EN\r\n{body}END:VCALENDAR\r\n".encode()


def test_a_recurring_holiday_is_closed_on_each_occurrence_but_its_exceptions():
    days = parse_closed_days(ics(
        "DTSTART;VALUE=DATE:20250501\r\nSUMMARY:Labour day\r\nRRULE:FREQ=YEARLY;COUNT=4\r\n"
        "EXDATE;VALUE=DATE:20260501\r\n",
        "DTSTART;VALUE=DATE:20251110\r\nSUMMARY:Team day\r\nRRULE:FREQ=WEEKLY;UNTIL=20251124\r\n"
        "RDATE;VALUE=DATE:20251201\r\n",
    ))

    assert [(d.date, d.name) for d in days] == [
        (date(2025, 5, 1), "Labour day"), (date(2025, 11, 10), "Team day"), (date(2025, 11, 17), "Team day"),
        (date(2025, 11, 24), "Team day"), (date(2025, 12, 1), "Team day"),
        (date(2027, 5, 1), "Labour day"), (date(2028, 5, 1), "Labour day")]


def test_a_moved_occurrence_closes_its_new_day_instead():
    days = parse_closed_days(ics(
        "UID:eve@example.com\r\nDTSTART;VALUE=DATE:20251224\r\nSUMMARY:Christmas Eve\r\nRRULE:FREQ=YEARLY;COUNT=2\r\n",
        "UID:eve@example.com\r\nRECURRENCE-ID;VALUE=DATE:20261224\r\nDTSTART;VALUE=DATE:20261223\r\n"
        "SUMMARY:Christmas Eve (moved)\r\n",
    ))

    assert [(d.date, d.name) for d in days] == [
        (date(2025, 12, 24), "Christmas Eve"), (date(2026, 12, 23), "Christmas Eve (moved)")]


def test_an_endless_recurrence_is_closed_for_the_next_ten_years():
    days = parse_closed_days(ics("DTSTART;VALUE=DATE:20200101\r\nSUMMARY:New year\r\nRRULE:FREQ=YEARLY\r\n"))

    years = [d.date.year for d in days]
    assert years[0] == 2020 and years == list(range(2020, years[-1] + 1))
    horizon = timezone.localdate() + timedelta(days=366 * 10)
    assert date(years[-1], 1, 1) <= horizon < date(years[-1] + 1, 1, 1)  # every new year up to ten years ahead


@pytest.mark.parametrize("rule", ["RRULE:FREQ=SOMETIMES", "EXDATE:nonsense"])
def test_a_malformed_recurrence_is_refused_and_writes_nothing(always, rule):
    content = ics(f"DTSTART;VALUE=DATE:20250501\r\nSUMMARY:Labour day\r\n{rule}\r\n")
    actor = system_actor()

    with assert_nothing_written(), pytest.raises(ValidationError) as refused:
        services.calendar_import_ics(actor=actor, calendar=always, content=content)

    assert list(refused.value.message_dict) == ["file"]
