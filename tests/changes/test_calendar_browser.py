"""In real headless Chromium: the change calendar draws the changes and shades a blackout window
(FullCalendar under the CSP: its injected styles carry the page's nonce), and a collision is shown
when a change is scheduled into a blackout from its conflicts panel, then scheduled with a reason."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from itsm.choices import Role
from tests.changes.factories_catalogue import make_template
from tests.changes.factories_schedule import make_window, occupying, standard_change
from tests.config_items.factories import make_ci
from tests.fixtures_browser import submit_and_wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def today_at(hour: int):
    return timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0)


def test_the_calendar_shows_changes_by_state_and_shades_a_blackout(page, sign_in, make_user):
    manager = make_user(Role.CHANGE_MANAGER, username="chgmgr")
    start = today_at(10)
    change = occupying(manager, cis=[make_ci()], start=start, end=start + timedelta(hours=2),
                       short_description="Swap the UPS")
    make_window(name="Quarter-end freeze", start=start - timedelta(hours=1), end=start + timedelta(hours=3))
    sign_in(page, manager)

    page.goto("/changes/calendar/")

    event = page.locator(".fc-event.chg-state-scheduled")
    expect(event).to_contain_text(change.number)
    expect(page.locator(".fc-bg-event.chg-window-blackout").first).to_be_attached()
    expect(page.locator("#calendar-failed")).to_be_hidden()
    page.get_by_role("button", name="List").click()
    expect(page.locator(".fc-list-event")).to_contain_text("Swap the UPS")


def test_scheduling_into_a_blackout_shows_the_collision_then_takes_a_reason(page, sign_in, make_user):
    manager = make_user(Role.CHANGE_MANAGER, username="chgmgr")
    start = today_at(10) + timedelta(days=2)
    make_window(name="Payroll freeze", start=start - timedelta(hours=1), end=start + timedelta(hours=6))
    change = standard_change(manager, cis=[make_ci()], template=make_template())
    sign_in(page, manager)
    page.goto(f"/changes/{change.pk}/")

    form = page.locator("#schedule-form")
    form.locator("#id_planned_start").fill(start.strftime("%Y-%m-%dT%H:%M"))
    form.locator("#id_planned_end").fill((start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    submit_and_wait(page, form.get_by_role("button"))

    expect(page.locator("#schedule-form")).to_contain_text("These conflicts need an override")
    expect(page.locator("#conflict-preview")).to_contain_text("Payroll freeze")
    page.locator("#id_override_reason").fill("The statutory filing closes tomorrow.")
    submit_and_wait(page, page.locator("#schedule-form").get_by_role("button"))

    expect(page.locator("#conflicts")).to_contain_text("Payroll freeze")
    expect(page.locator("#conflict-override")).to_contain_text("The statutory filing closes tomorrow.")
    change.refresh_from_db()
    assert change.state == "scheduled"
