"""The change report page in real headless Chromium: every chart is drawn from the page's data
(no inline script, nothing the CSP refuses), and the filters narrow the figures."""

import pytest
from playwright.sync_api import expect

from itsm.choices import Role
from tests.changes.factories_reports import QUERY, at, conflict, finished, raised
from tests.factories import TeamFactory
from tests.fixtures_browser import submit_and_wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_change_manager_reads_the_charts_and_narrows_them_to_a_group(page, sign_in, make_user):
    manager = make_user(Role.CHANGE_MANAGER, username="chgmgr")
    network = TeamFactory(name="Network")
    finished(manager, "successful", at(1, 7), assignment_group=network)
    finished(manager, "failed", at(1, 8))
    urgent = raised(manager, at(1, 9), model="emergency", risk="high")
    conflict(urgent, "blackout", overridden=at(1, 10), by=manager, reason="Outage fix")
    sign_in(page, manager)

    page.goto("/changes/reports/" + QUERY)

    expect(page.locator(".report-chart.report-chart-ready svg")).to_have_count(7)
    expect(page.locator("#success-rate")).to_have_text("50.0 %")
    expect(page.locator("#overrides")).to_contain_text("Outage fix")
    page.locator("#id_group").select_option(label="Network")
    submit_and_wait(page, page.get_by_role("button", name="Show"))
    expect(page.locator("#success-rate")).to_have_text("100.0 %")
    expect(page.locator("#change-report-filters")).to_contain_text("Changes of the assignment group Network only.")
