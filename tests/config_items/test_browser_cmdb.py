"""The CMDB in real headless Chromium: forms with type attributes, autocomplete, the impact graph."""

import re

import pytest
from playwright.sync_api import expect

from config_items import services
from config_items.models import CIType, ConfigurationItem, Relationship
from itsm.choices import Role
from tests.factories import TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_team_lead_creates_a_server_links_it_and_sees_the_impact_graph(page, sign_in, make_user):
    lead = make_user(Role.TEAM_LEAD, username="lead")
    TeamFactory(name="Infrastructure", members=[lead])
    vm_type = CIType.objects.get(slug="virtual-machine")
    vm = services.ci_create(actor=lead, data={"name": "vm-payroll", "ci_type": vm_type,
                                              "attributes": {"hostname": "vm-payroll"}})
    sign_in(page, lead)

    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("button", name="Configuration").click()
    menu.get_by_role("link", name="Configuration items").click()
    page.get_by_role("link", name="New CI").click()
    page.get_by_label("Name", exact=True).fill("db-01")
    page.get_by_label("Type").select_option(label="Server")
    # htmx swaps in the server's attribute fields
    page.get_by_label("Host name").fill("db01.example.com")
    page.get_by_label("CPUs").fill("8")
    page.get_by_label("IP address").fill("10.0.0.300")
    page.get_by_role("button", name="Create CI").click()
    expect(page.locator("#id_attr_ip_address_error")).to_contain_text("IPv4")
    expect(page.get_by_label("Host name")).to_have_value("db01.example.com")
    page.get_by_label("IP address").fill("10.0.0.30")
    page.get_by_role("button", name="Create CI").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("db-01")
    expect(page.get_by_role("status")).to_contain_text("created")
    server = ConfigurationItem.objects.get(name="db-01")
    assert server.attributes == {"hostname": "db01.example.com", "cpu_count": 8, "ip_address": "10.0.0.30"}

    # The VM runs on the server: the server is the target.
    page.locator("#id_direction").select_option("incoming")
    page.get_by_label("Relationship", exact=True).select_option(label="runs on / hosts")
    page.locator("#id_other-ts-control").fill("vm-pay")
    page.locator("#id_other-ts-dropdown .option", has_text="vm-payroll").first.click()
    expect(page.locator("#id_other")).to_have_value(str(vm.pk))
    page.get_by_role("button", name="Add relationship").click()
    expect(page.get_by_role("status")).to_contain_text("Relationship added.")
    assert Relationship.objects.filter(source=vm, target=server).exists()
    expect(page.locator("#relationships")).to_contain_text("hosts")

    # Upstream impact: the VM breaks when the server fails.
    graph = page.locator("#impact-graph canvas")
    expect(graph.first).to_be_visible()
    box = graph.first.bounding_box()
    assert box["width"] > 200 and box["height"] > 200
    rows = page.locator("#impact-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("vm-payroll")

    page.locator("#impact-direction").select_option("downstream")
    expect(page).to_have_url(re.compile(r"direction=downstream"))
    expect(page.locator("#impact-table tbody tr")).to_have_count(1)


def test_an_auditor_sees_the_ci_but_no_buttons(page, sign_in, make_user):
    lead = make_user(Role.TEAM_LEAD, username="lead")
    auditor = make_user(Role.AUDITOR, username="auditor")
    ci = services.ci_create(actor=lead, data={"name": "db-01", "ci_type": CIType.objects.get(slug="server"),
                                              "attributes": {"hostname": "db01"}})
    sign_in(page, auditor)
    page.goto(f"/cmdb/{ci.pk}/")

    expect(page.get_by_role("heading", level=1)).to_contain_text("db-01")
    expect(page.locator("#impact-graph canvas").first).to_be_visible()
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Start build")).to_have_count(0)
    expect(page.get_by_role("button", name="Add relationship")).to_have_count(0)
    expect(page.get_by_role("button", name="Create baseline")).to_have_count(0)
