"""The change pages in real headless Chromium: an agent raises a change, choosing its service from
the server-searched picker; the change page shows it with its impacted services; a change manager
starts its assessment, is refused asking for authorisation without a backout plan (the error on
the field), and cancels it with a reason."""

import re

import pytest
from playwright.sync_api import expect

from changes.models import Change
from itsm.choices import Role
from tests.changes.factories import make_change
from tests.config_items.factories import make_service
from tests.fixtures_browser import submit_and_wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def pick(page, field_id: str, text: str, option: str) -> None:
    """Type into the Tom Select picker of `field_id` and choose the option it finds."""
    page.locator(f"#{field_id}-ts-control").fill(text)
    page.locator(f"#{field_id}-ts-dropdown .option", has_text=option).click()


def test_an_agent_raises_a_change_with_the_service_picker(page, sign_in, make_user):
    agent = make_user(Role.AGENT, username="agent")
    make_service(name="Mail")
    sign_in(page, agent)

    page.goto("/changes/")
    page.get_by_role("link", name="Raise a change").click()
    page.get_by_label("Short description").fill("Patch the mail relays")
    pick(page, "id_services", "Mai", "Mail")
    page.get_by_label("Backout plan").fill("Reinstall the previous package")
    submit_and_wait(page, page.locator("#change-submit"))

    expect(page.locator("#change-title")).to_have_text("Patch the mail relays")
    expect(page.locator("#affected-services")).to_contain_text("Mail")
    expect(page.locator("[data-impacted-service='Mail']")).to_be_visible()
    expect(page.locator("#plan-backout")).to_have_text("Reinstall the previous package")
    assert Change.objects.get().requester == agent


def test_a_change_manager_is_refused_then_cancels_with_a_reason(page, sign_in, make_user):
    manager = make_user(Role.CHANGE_MANAGER, username="manager")
    change = make_change(make_user(Role.AGENT, username="agent"), short_description="Firewall rules")
    sign_in(page, manager)

    page.goto(f"/changes/{change.pk}/")
    submit_and_wait(page, page.get_by_role("button", name="Start assessment"))
    expect(page.locator("[data-change-state]").first).to_have_attribute("data-change-state", "assessment")

    page.get_by_role("button", name="Ask for authorisation…").click()
    panel = page.locator("#panel-transition-request_authorisation")
    panel.get_by_label("Implementation plan").fill("Apply the rules")
    submit_and_wait(page, panel.get_by_role("button", name="Ask for authorisation"))
    panel = page.locator("#panel-transition-request_authorisation")
    expect(panel).to_be_visible()
    expect(panel.locator("#id_request_authorisation_backout_plan_error")).to_have_text(
        "This plan is required before authorisation.")
    expect(panel.get_by_label("Implementation plan")).to_have_value("Apply the rules")

    page.get_by_role("button", name="Cancel…").click()
    cancel = page.locator("#panel-transition-cancel")
    cancel.get_by_label("Cancellation reason").fill("Superseded by the new firewall")
    submit_and_wait(page, cancel.get_by_role("button", name="Cancel"))

    expect(page.locator("[data-change-state]").first).to_have_attribute("data-change-state", "cancelled")
    expect(page.locator("#change-cancel-reason")).to_contain_text("Superseded by the new firewall")
    expect(page.locator(".alert, .toast").filter(has_text=re.compile("is now Cancelled"))).to_be_visible()
