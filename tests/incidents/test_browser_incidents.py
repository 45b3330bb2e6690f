"""Incidents in real headless Chromium: the agent's lifecycle, the portal round trip, the auditor."""

import re

import pytest
from playwright.sync_api import expect

from incidents import services
from incidents.choices import IncidentState
from incidents.models import Incident
from itsm.choices import Role
from tests.config_items.factories import make_service
from tests.factories import TeamFactory
from tests.fixtures_browser import submit_and_wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _open_panel(page, step):
    """Open a workflow step's panel and wait until it is fully open, as a person sees it: a
    click on its button while the panel still slides open could be lost (CI saw the Resolve
    button clicked, its form valid, and no request sent)."""
    page.locator(f"[data-open-transition={step}]").click()
    panel = page.locator(f"#panel-transition-{step}")
    expect(panel).to_have_class(re.compile(r"\bshow\b"))  # Bootstrap adds it once the slide ended
    return panel


def _switch_user(page, sign_in, user):
    page.context.clear_cookies()
    sign_in(page, user)


def test_an_agent_logs_takes_starts_and_resolves_an_incident(page, sign_in, make_user):
    agent = make_user(Role.AGENT, username="agent")
    TeamFactory(name="Service Desk", members=[agent])
    sign_in(page, agent)

    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("button", name="Service desk").click()
    menu.get_by_role("link", name="Incidents", exact=True).click()
    page.locator("#incident-create-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Log an incident")
    page.get_by_label("Short description").fill("VPN drops every five minutes")
    page.get_by_label("Contact name").fill("Maria Schmidt")
    page.get_by_label("Impact").select_option(label="2 - Medium")
    page.get_by_label("Urgency").select_option(label="1 - High")
    # The priority preview follows the matrix as impact and urgency change.
    expect(page.locator("#priority-preview")).to_contain_text("P2")
    submit_and_wait(page, page.locator("#incident-submit"))

    expect(page.locator("#incident-title")).to_have_text("VPN drops every five minutes")
    expect(page.locator("#incident-state")).to_have_attribute("data-state", "new")
    incident = Incident.objects.get()
    assert (incident.priority, incident.contact_name, incident.created_by) == (2, "Maria Schmidt", agent)

    submit_and_wait(page, page.locator("#assign-to-me"))
    expect(page.locator("#incident-assignee")).to_contain_text(str(agent))
    expect(page.locator("#incident-group")).to_contain_text("Service Desk")

    submit_and_wait(page, page.get_by_role("button", name="Start work"))
    expect(page.locator("#incident-state")).to_have_attribute("data-state", "in_progress")

    panel = _open_panel(page, "resolve")
    panel.get_by_label("Resolution code").select_option(label="Solved (workaround)")
    panel.get_by_label("Resolution notes").fill("Pinned the VPN client to the old gateway.")
    submit_and_wait(page, panel.get_by_role("button", name="Resolve"))

    expect(page.locator("#incident-state")).to_have_attribute("data-state", "resolved")
    expect(page.locator("#incident-resolution")).to_contain_text("Pinned the VPN client")
    incident.refresh_from_db()
    assert (incident.state, incident.assignee, incident.resolution_code) == (
        IncidentState.RESOLVED, agent, "solved_workaround")
    assert incident.first_response_at is not None and incident.resolved_at is not None
    kinds = list(page.locator("#timeline [data-kind]").evaluate_all("items => items.map(i => i.dataset.kind)"))
    assert "state_change" in kinds and "assignment" in kinds


def test_a_requester_reports_in_the_portal_an_agent_resolves_and_the_requester_confirms(page, sign_in, make_user):
    requester = make_user(Role.REQUESTER, username="requester")
    agent = make_user(Role.AGENT, username="agent")
    TeamFactory(name="Service Desk", members=[agent])

    # The requester reports a problem.
    sign_in(page, requester)
    page.goto("/portal/incidents/new/")
    page.get_by_label("What is wrong?").fill("The printer prints blank pages")
    page.get_by_label("Details").fill("Since this morning, on the first floor.")
    submit_and_wait(page, page.get_by_role("button", name="Send"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("The printer prints blank pages")
    incident = Incident.objects.get()
    assert (incident.caller, incident.channel, incident.state) == (requester, "portal", IncidentState.NEW)

    # The service desk takes and resolves it.
    _switch_user(page, sign_in, agent)
    page.goto(f"/incidents/{incident.pk}/")
    submit_and_wait(page, page.locator("#assign-to-me"))
    expect(page.locator("#incident-assignee")).to_contain_text(str(agent))
    panel = _open_panel(page, "resolve")
    panel.get_by_label("Resolution code").select_option(label="Solved (permanently)")
    panel.get_by_label("Resolution notes").fill("Replaced the toner cartridge.")
    submit_and_wait(page, panel.get_by_role("button", name="Resolve"))
    expect(page.locator("#incident-state")).to_have_attribute("data-state", "resolved")

    # The requester sees the resolution and confirms it.
    _switch_user(page, sign_in, requester)
    page.goto("/portal/incidents/")
    expect(page.get_by_role("status")).to_contain_text("resolved")
    page.get_by_role("link", name="Show them").click()
    page.get_by_role("link", name="The printer prints blank pages").click()
    resolution = page.locator("#resolution")
    expect(resolution).to_contain_text("Is your problem solved?")
    expect(resolution).to_contain_text("Replaced the toner cartridge.")
    submit_and_wait(page, resolution.get_by_role("button", name="Yes, confirm the resolution"))

    expect(page.locator("#resolution")).to_have_count(0)
    incident.refresh_from_db()
    assert incident.state == IncidentState.CLOSED and incident.closed_at is not None
    assert incident.history.first().history_user == requester


def test_an_auditor_reads_the_queue_and_the_incident_without_actions_and_a_forged_post_is_refused(
        page, sign_in, make_user):
    agent = make_user(Role.AGENT, username="agent")
    auditor = make_user(Role.AUDITOR, username="auditor")
    team = TeamFactory(name="Service Desk", members=[agent])
    incident = services.incident_create(actor=agent, data={
        "short_description": "Mail is down", "contact_name": "Jonas Weber", "assignment_group": team,
        "impact": 2, "urgency": 2})
    sign_in(page, auditor)

    page.goto("/incidents/?queue=open")
    expect(page.locator("#list-results tbody")).to_contain_text("Mail is down")
    expect(page.locator("#incident-create-link")).to_have_count(0)
    expect(page.locator("#bulk-form")).to_have_count(0)
    page.get_by_role("link", name=incident.number).first.click()

    expect(page.locator("#incident-title")).to_have_text("Mail is down")
    expect(page.locator("#timeline")).to_be_visible()
    expect(page.locator("#incident-actions")).to_have_count(0)
    expect(page.locator("#assign-to-me")).to_have_count(0)
    expect(page.locator("#comment-form")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Start work|Resolve|Cancel"))).to_have_count(0)

    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    headers = {"Referer": page.url}
    resolve = page.request.post(f"/incidents/{incident.pk}/transition/", headers=headers, form={
        "csrfmiddlewaretoken": token, "transition": "resolve", "resolution_code": "no_fault",
        "resolution_notes": "Forged.", "version": str(incident.version)})
    take = page.request.post(f"/incidents/{incident.pk}/assign-to-me/", headers=headers, form={
        "csrfmiddlewaretoken": token, "version": str(incident.version)})
    comment = page.request.post(f"/incidents/{incident.pk}/comment/", headers=headers, form={
        "csrfmiddlewaretoken": token, "body": "Forged."})

    assert (resolve.status, take.status, comment.status) == (403, 403, 403)
    incident.refresh_from_db()
    assert (incident.state, incident.assignee, incident.version) == (IncidentState.NEW, None, 1)


def test_an_agent_narrows_the_queue_ticks_the_rows_and_assigns_them_in_bulk(page, sign_in, make_user):
    agent = make_user(Role.AGENT, username="agent")
    desk = TeamFactory(name="Service Desk", members=[agent])
    TeamFactory(name="Network", members=[agent])
    printers = [services.incident_create(actor=agent, data={
        "short_description": f"Printer {floor} offline", "contact_name": "Jonas Weber", "assignment_group": desk,
        "impact": 3, "urgency": 3}) for floor in ("A", "B")]
    mail = services.incident_create(actor=agent, data={
        "short_description": "Mail is slow", "contact_name": "Jonas Weber", "assignment_group": desk,
        "impact": 3, "urgency": 3})
    sign_in(page, agent)
    page.goto("/incidents/?queue=open")
    expect(page.locator("#list-results tbody tr[data-incident]")).to_have_count(3)

    # Typing in the search box swaps the rows in place (htmx); their tick boxes still belong
    # to the bulk form above them.
    page.locator("#id_q").fill("printer")  # the queue's own search box, not the header's
    expect(page.locator("#list-results tbody tr[data-incident]")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"q=printer"))
    for incident in printers:
        page.get_by_label(f"Select {incident.number}").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 selected")
    page.locator("#id_bulk_operation").select_option(label="Assign")
    page.locator("#id_bulk_assignment_group").select_option(label="Network")
    submit_and_wait(page, page.locator("#bulk-apply"))

    expect(page).to_have_url(re.compile(r"q=printer"))  # back on the narrowed queue
    assert sorted(Incident.objects.filter(assignment_group__name="Network").values_list("number", flat=True)) == sorted(
        incident.number for incident in printers)
    mail.refresh_from_db()
    assert mail.assignment_group == desk


def test_the_queue_s_service_filter_finds_a_service_by_typing_and_narrows_the_rows(page, sign_in, make_user):
    agent = make_user(Role.AGENT, username="agent")
    payroll, mail = make_service(name="Payroll"), make_service(name="Mail")
    for service in (payroll, mail):
        services.incident_create(actor=agent, data={
            "short_description": f"{service.name} is down", "contact_name": "Jonas Weber", "service": service,
            "impact": 3, "urgency": 3})
    sign_in(page, agent)
    page.goto("/incidents/?queue=open")
    expect(page.locator("#list-results tbody tr[data-incident]")).to_have_count(2)

    # The page holds no service: typing asks the server (incident_ci_search?service=1).
    expect(page.locator("#id_service option")).to_have_count(1)
    page.locator("#id_service-ts-control").fill("payr")
    page.locator("#id_service-ts-dropdown .option", has_text="Payroll").click()

    expect(page.locator("#list-results tbody tr[data-incident]")).to_have_count(1)
    expect(page.locator("#list-results tbody")).to_contain_text("Payroll is down")
    expect(page).to_have_url(re.compile(rf"service={payroll.pk}"))
