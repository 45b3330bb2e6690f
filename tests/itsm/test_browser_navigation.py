"""The shell in real headless Chromium: the grouped menu on a laptop and on a phone, and the
header's global search by number and by text."""

import re

import pytest
from playwright.sync_api import expect

from itsm.choices import Role
from tests.config_items.factories import make_ci
from tests.incidents.factories import make_incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_grouped_menu_fits_1280_pixels_and_works_with_the_keyboard(page, sign_in, make_user):
    # The widest bar there is: every group, the search box.
    admin = make_user(Role.ADMINISTRATOR, Role.AGENT, Role.CHANGE_MANAGER, Role.AUDITOR, username="boss")
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, admin)
    menu = page.get_by_role("navigation", name="Main menu")

    expect(menu.locator(".nav-link-title")).to_have_text(
        ["Home", "Service desk", "Changes & releases", "Configuration", "SLA dashboard", "Audit", "Settings"])
    assert page_width(page) <= 1280
    tops = menu.locator(".nav-link").evaluate_all("links => links.map(l => l.getBoundingClientRect().top)")
    assert len(set(tops)) == 1  # one row
    search = page.get_by_role("searchbox", name="Search records").bounding_box()
    brand = page.get_by_role("link", name="ITSM").bounding_box()
    assert search["y"] < brand["y"] + brand["height"] and search["y"] + search["height"] < min(tops)  # beside the brand
    expect(page.get_by_role("button", name="Show the menu")).to_be_hidden()

    # keyboard: focus a group, open it, walk to its second item, follow it
    configuration = menu.get_by_role("button", name="Configuration")
    configuration.focus()
    page.keyboard.press("Enter")
    expect(configuration).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("link", name="Service catalogue")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/cmdb/catalogue/$"))
    group = page.locator('[data-menu-group="configuration"]')
    expect(group).to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator('[data-menu-group="service_desk"]')).not_to_have_class(re.compile(r"\bactive\b"))

    # Escape closes an open group
    service_desk = menu.get_by_role("button", name="Service desk")
    service_desk.click()
    expect(menu.get_by_role("link", name="Incident reports")).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu.get_by_role("link", name="Incident reports")).to_be_hidden()

    # change management fills its group like the others
    menu.get_by_role("button", name="Changes & releases").click()
    expect(menu.get_by_role("link", name="Change calendar")).to_be_visible()


def test_on_a_phone_the_toggler_opens_the_menu_and_a_group(page, sign_in, make_user):
    agent = make_user(Role.AGENT, username="agent")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, agent)
    menu = page.get_by_role("navigation", name="Main menu")
    toggler = page.get_by_role("button", name="Show the menu")

    expect(menu).to_be_hidden()
    assert page_width(page) <= 390
    toggler.click()
    expect(menu).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    menu.get_by_role("button", name="Service desk").click()
    menu.get_by_role("link", name="Incidents", exact=True).click()

    expect(page).to_have_url(re.compile(r"/incidents/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Incidents")
    assert page_width(page) <= 390


def test_the_header_search_opens_a_number_and_lists_text_hits_by_type(page, sign_in, make_user):
    agent = make_user(Role.AGENT, username="agent")
    wanted = make_incident(agent, short_description="Payroll export fails")
    for n in range(6):
        make_incident(agent, short_description=f"Payroll run slow {n}")
    make_ci(name="payroll-db")
    sign_in(page, agent)
    box = page.get_by_role("searchbox", name="Search records")

    # a number, then Enter: the incident itself
    box.fill(wanted.number.lower())
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"/incidents/{wanted.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Payroll export fails")

    # text: suggestions as you type, grouped; Enter for every result
    box = page.get_by_role("searchbox", name="Search records")
    box.press_sequentially("payroll", delay=30)
    suggestions = page.locator("#global-search-suggestions")
    expect(suggestions.get_by_role("link", name=re.compile("payroll-db"))).to_be_visible()
    box.press("ArrowDown")
    expect(suggestions.get_by_role("link").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(suggestions).to_be_empty()
    expect(box).to_be_focused()
    box.press("Enter")

    expect(page).to_have_url(re.compile(r"/search/\?q=payroll$"))
    expect(page.get_by_role("heading", level=2)).to_have_text(["Incidents", "Configuration items"])
    incidents = page.get_by_role("region", name="Incidents")
    expect(incidents.get_by_role("link", name=re.compile(r"^INC"))).to_have_count(5)
    incidents.get_by_role("link", name="More Incidents").click()
    expect(page).to_have_url(re.compile(r"/incidents/\?q=payroll&sort=-opened$"))
    expect(page.locator("#list-results tbody tr")).to_have_count(7)
