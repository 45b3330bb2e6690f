"""Blackout and maintenance windows (changes.services.windows): what administrators may record."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from changes.services.windows import window_create, window_update
from itsm.exceptions import NotPermitted, StaleRecord
from tests.changes.factories_schedule import at, make_window, schedule_admin
from tests.config_items.factories import make_ci, make_service

pytestmark = pytest.mark.django_db


def refused(**data) -> dict:
    base = {"kind": "blackout", "name": "Freeze", "start": at("2030-12-20 00:00"), "end": at("2031-01-03 00:00")}
    with pytest.raises(ValidationError) as error:
        window_create(actor=schedule_admin(), data={**base, **data})
    return error.value.message_dict


def test_an_administrator_records_a_recurring_maintenance_window_with_its_rule_normalised():
    service = make_service(name="Payroll")
    window = make_window(kind="maintenance", service=service, start=at("2030-01-05 21:00"),
                         end=at("2030-01-06 01:00"), rrule="rrule:freq=weekly;byday=sa", time_zone="Europe/Berlin")

    assert (window.rrule, window.time_zone, window.service, window.version) == (
        "FREQ=WEEKLY;BYDAY=SA", "Europe/Berlin", service, 1)
    assert window.history.count() == 1


@pytest.mark.parametrize(("data", "field"), [
    ({"rrule": "FREQ=MINUTELY"}, "rrule"),
    ({"rrule": "FREQ=MONTHLY;BYMONTHDAY=30;BYMONTH=2"}, "rrule"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"end": at("2030-12-19 00:00")}, "end"),
    ({"start": dt.datetime(2030, 12, 20)}, "start"),  # naive: which zone?
    ({"kind": "maintenance"}, "service"),  # a maintenance window belongs to something
])
def test_bad_windows_are_refused_with_the_field_named(data, field):
    assert field in refused(**data)


def test_a_blackout_window_is_not_for_a_single_ci():
    assert "ci" in refused(ci=make_ci())


def test_a_maintenance_window_names_a_service_or_a_ci_not_both():
    assert "ci" in refused(kind="maintenance", service=make_service(), ci=make_ci())


def test_the_service_of_a_window_must_be_a_service():
    assert "service" in refused(service=make_ci(type_slug="server"))


def test_unknown_fields_are_refused():
    assert "colour" in refused(colour="red")


def test_only_administrators_keep_windows(agent, auditor, make_user):
    from itsm.choices import Role

    data = {"kind": "blackout", "name": "Freeze", "start": at("2030-12-20 00:00"), "end": at("2031-01-03 00:00")}
    for person in (agent, auditor, make_user(Role.CHANGE_MANAGER, username="cm")):
        with pytest.raises(NotPermitted):
            window_create(actor=person, data=data)


def test_an_edit_counts_the_version_and_refuses_a_stale_one():
    window = make_window()
    admin = schedule_admin()

    window = window_update(actor=admin, window=window, data={"name": "Quarter-end freeze"}, expected_version=1)
    assert (window.name, window.version) == ("Quarter-end freeze", 2)
    with pytest.raises(StaleRecord):
        window_update(actor=admin, window=window, data={"is_active": False}, expected_version=1)
    with pytest.raises(ValidationError):
        window_update(actor=admin, window=window, data={"rrule": "FREQ=SECONDLY"})
    window.refresh_from_db()
    assert (window.rrule, window.is_active, window.history.count()) == ("", True, 2)
