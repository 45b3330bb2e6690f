"""Schedule pages: windows in the settings, scheduling a change from its conflicts panel (refused
into a blackout without a reason, with the causes shown; accepted with one), re-checking."""

import pytest
from django.urls import reverse

from changes.choices import ChangeState
from changes.models import ScheduleWindow
from changes.services.states import change_transition
from tests.changes.factories_catalogue import make_template
from tests.changes.factories_schedule import at, hours, make_window, occupying, standard_change
from tests.config_items.factories import make_ci

pytestmark = pytest.mark.django_db


def local(value) -> str:
    """A datetime-local value in the site's zone (UTC in the tests)."""
    return value.strftime("%Y-%m-%dT%H:%M")


def test_an_administrator_records_a_window_on_its_own_wall_clock(client, admin_user):
    host = make_ci(name="erp-db", type_slug="server")
    client.force_login(admin_user)

    response = client.post(reverse("change_window_create"), {
        "kind": "maintenance", "name": "Saturday night", "ci": host.pk, "time_zone": "Europe/Berlin",
        "start": "2030-07-06T22:00", "end": "2030-07-07T02:00", "rrule": "FREQ=WEEKLY;BYDAY=SA", "is_active": "on"})

    window = ScheduleWindow.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("change_window_detail", args=[window.pk])
    assert (window.start, window.end) == (at("2030-07-06 20:00"), at("2030-07-07 00:00"))  # summer time in Berlin
    page = client.get(reverse("change_window_update", args=[window.pk])).content.decode()
    assert 'value="2030-07-06T22:00"' in page  # shown again on the window's wall clock
    detail = client.get(response["Location"]).content.decode()
    assert "erp-db" in detail and "FREQ=WEEKLY;BYDAY=SA" in detail


def test_a_refused_window_keeps_the_input_and_names_the_problem(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("change_window_create"), {
        "kind": "blackout", "name": "Freeze", "time_zone": "UTC", "start": "2030-12-20T00:00",
        "end": "2031-01-03T00:00", "rrule": "FREQ=SECONDLY"})

    assert response.status_code == 200
    assert response.context["form"].errors["rrule"]
    assert not ScheduleWindow.objects.exists()


def test_change_managers_read_the_windows_without_the_buttons_to_add_them(client, change_manager):
    make_window(name="Year-end freeze")
    client.force_login(change_manager)

    page = client.get(reverse("change_window_list")).content.decode()

    assert "Year-end freeze" in page and 'id="new-blackout"' not in page
    assert client.get(reverse("change_window_create")).status_code == 403


def test_scheduling_into_a_blackout_from_the_page_shows_the_conflict_then_takes_a_reason(client, change_manager):
    start, end = hours(24)
    make_window(name="Payroll freeze", start=start, end=end)
    change = standard_change(change_manager, cis=[make_ci()], template=make_template())
    client.force_login(change_manager)
    url = reverse("change_schedule", args=[change.pk])
    window = {"planned_start": local(start), "planned_end": local(end)}

    refused = client.post(url, window)

    assert refused.status_code == 400
    page = refused.content.decode()
    assert "These conflicts need an override" in page and "Payroll freeze" in page
    assert 'id="conflict-preview"' in page
    change.refresh_from_db()
    assert change.state == ChangeState.NEW

    accepted = client.post(url, {**window, "override_reason": "Statutory deadline"})

    assert accepted.status_code == 302
    assert accepted["Location"] == reverse("change_detail", args=[change.pk]) + "#conflicts"
    change.refresh_from_db()
    assert (change.state, change.conflict_override_reason) == (ChangeState.SCHEDULED, "Statutory deadline")


def test_the_change_page_shows_the_conflicts_with_their_override(client, change_manager):
    start, end = hours(24)
    make_window(name="Payroll freeze", start=start, end=end)
    change = standard_change(change_manager, cis=[make_ci()], start=start, end=end, template=make_template())
    change_transition(actor=change_manager, change=change, name="schedule_standard", override_reason="Agreed")
    client.force_login(change_manager)

    page = client.get(reverse("change_detail", args=[change.pk])).content.decode()

    assert 'id="conflicts"' in page and "Payroll freeze" in page
    assert "Overridden" in page and "Agreed" in page
    assert reverse("change_conflicts_recheck", args=[change.pk]) in page


def test_the_panel_offers_the_schedule_form_while_the_change_may_be_scheduled(client, change_manager):
    change = standard_change(change_manager, cis=[make_ci()], template=make_template())
    client.force_login(change_manager)

    page = client.get(reverse("change_detail", args=[change.pk])).content.decode()

    assert 'id="schedule-form"' in page and "override_reason" in page


def test_a_recheck_from_the_page_finds_a_new_conflict(client, change_manager):
    host = make_ci(type_slug="server")
    start, end = hours(24)
    change = standard_change(change_manager, cis=[host], start=start, end=end, template=make_template(),
                             schedule=True)
    occupying(change_manager, cis=[host], start=start, end=end)
    client.force_login(change_manager)

    response = client.post(reverse("change_conflicts_recheck", args=[change.pk]), follow=True)

    assert "One conflict found." in response.content.decode()
    assert change.conflicts.filter(kind="same_ci", cleared_at__isnull=True).exists()


def test_a_change_manager_overrides_a_new_conflict_from_the_panel(client, change_manager):
    host = make_ci(type_slug="server")
    start, end = hours(24)
    change = standard_change(change_manager, cis=[host], start=start, end=end, template=make_template(),
                             schedule=True)
    occupying(change_manager, cis=[host], start=start, end=end)
    client.force_login(change_manager)
    client.post(reverse("change_conflicts_recheck", args=[change.pk]))
    assert 'id="conflicts-override-form"' in client.get(reverse("change_detail", args=[change.pk])).content.decode()

    response = client.post(reverse("change_conflicts_override", args=[change.pk]),
                           {"reason": "Both touch different disks"}, follow=True)

    page = response.content.decode()
    assert "are overridden" in page and "Both touch different disks" in page
    assert 'id="conflicts-override-form"' not in page
