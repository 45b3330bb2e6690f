"""Problem management in real headless Chromium: an agent logs an incident, sees the known error
that matches its service and applies its workaround; a problem manager accepts a trend
proposal, puts a new incident on hold awaiting the problem, finds the root cause, publishes the
known error and resolves the problem, and the waiting incident is back in progress."""

import re

import pytest
from playwright.sync_api import expect

from incidents.choices import IncidentState, OnHoldReason
from incidents.models import Category
from itsm.choices import Role
from problems import services
from problems.choices import ProblemState
from problems.models import Problem, TrendProposal
from tests.config_items.factories import make_ci, make_service
from tests.fixtures_browser import submit_and_wait
from tests.incidents.factories import make_incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _open_panel(page, step):
    """Open a workflow step's panel and wait until it has finished opening (a click on a button
    still sliding in could be lost)."""
    page.locator(f"[data-open-transition={step}]").click()
    panel = page.locator(f"#panel-transition-{step}")
    expect(panel).to_have_class(re.compile(r"\bshow\b"))
    return panel


def test_an_agent_logging_an_incident_sees_the_matching_known_error_and_applies_its_workaround(
        page, sign_in, make_user):
    agent = make_user(Role.AGENT, username="agent")
    manager = make_user(Role.PROBLEM_MANAGER, username="pm")
    mail = make_service(name="Mail")
    known = services.problem_create(actor=agent, data={"short_description": "Mailbox sync stalls", "service": mail})
    known = services.problem_transition(actor=manager, problem=known, name="publish_known_error", data={
        "root_cause": "The sync agent leaks handles.", "workaround": "Restart the sync agent from the tray."})
    sign_in(page, agent)

    page.goto("/incidents/new/")
    page.get_by_label("Short description").fill("Outlook does not update")
    page.get_by_label("Contact name").fill("Maria Schmidt")
    page.locator("#id_service-ts-control").fill("Mai")
    page.locator("#id_service-ts-dropdown .option", has_text="Mail").click()
    # The logging form suggests the known error of the chosen service, with its workaround.
    suggestion = page.locator(f'#known-errors-card [data-known-error="{known.number}"]')
    expect(suggestion).to_contain_text("Restart the sync agent from the tray.")
    submit_and_wait(page, page.locator("#incident-submit"))

    expect(page.locator("#incident-title")).to_have_text("Outlook does not update")
    suggestion = page.locator(f'#known-error-panel [data-known-error="{known.number}"]')
    suggestion.locator("select[name=visibility]").select_option("public")
    submit_and_wait(page, suggestion.get_by_role("button", name="Apply workaround and link"))

    expect(page.locator("#incident-problem")).to_contain_text(known.number)
    expect(page.locator("#timeline")).to_contain_text("Restart the sync agent from the tray.")
    link = known.incident_links.get()
    assert link.via_known_error and link.workaround_applied_at is not None


def test_a_problem_manager_takes_a_trend_proposal_to_a_resolved_problem(page, sign_in, make_user):
    agent = make_user(Role.AGENT, username="agent")
    manager = make_user(Role.PROBLEM_MANAGER, username="pm")
    printer, category = make_ci(name="Floor 3 printer"), Category.objects.create(name="Printing")
    recurring = [make_incident(agent, short_description=f"Paper jam {n}", cis=[printer], category=category)
                 for n in range(3)]
    services.trend_detect(threshold=3)
    proposal = TrendProposal.objects.get(ci=printer)
    latest = make_incident(agent, short_description="Printer jams again")
    sign_in(page, manager)

    # The manager's work view counts the pending proposal and leads to it.
    page.goto("/problems/manager/")
    expect(page.locator("#proposals-pending")).to_have_text("1")
    page.goto(f"/problems/proposals/{proposal.pk}/")
    submit_and_wait(page, page.locator("#proposal-accept-form button[type=submit]"))

    expect(page.locator("#problem-state")).to_have_attribute("data-state", "new")
    for incident in recurring:
        expect(page.locator(f'[data-linked-incident="{incident.number}"]')).to_be_visible()

    # Link the newest incident and put it on hold awaiting the problem.
    page.locator("#open-link").click()
    expect(page.locator("#panel-link")).to_have_class(re.compile(r"\bshow\b"))
    page.get_by_label("Incident numbers").fill(latest.number)
    page.get_by_label("Put open incidents on hold awaiting the problem").check()
    submit_and_wait(page, page.locator("#link-submit"))
    row = page.locator(f'[data-linked-incident="{latest.number}"]')
    expect(row).to_have_attribute("data-state", "on_hold")
    expect(row.locator("[data-waiting]")).to_be_visible()

    submit_and_wait(page, page.get_by_role("button", name="Start root-cause analysis"))
    expect(page.locator("#problem-state")).to_have_attribute("data-state", "root_cause_analysis")

    panel = _open_panel(page, "publish_known_error")
    panel.get_by_label("Root cause", exact=True).fill("The fuser overheats after 200 pages.")
    panel.get_by_label("Workaround", exact=True).fill("Print long jobs in batches of 100.")
    submit_and_wait(page, panel.get_by_role("button", name="Publish known error"))
    expect(page.locator("#problem-state")).to_have_attribute("data-state", "known_error")
    expect(page.locator("#known-error-workaround")).to_contain_text("batches of 100")

    panel = _open_panel(page, "resolve")
    expect(panel.locator("#waiting-note")).to_contain_text("1 incident is on hold")
    panel.get_by_label("Resolution code").select_option(label="Fixed (root cause removed)")
    panel.get_by_label("Resolution notes").fill("Replaced the fuser unit.")
    expect(panel.get_by_label("Incidents waiting on this problem")).to_have_value("resume")
    submit_and_wait(page, panel.get_by_role("button", name="Resolve"))

    expect(page.locator("#problem-state")).to_have_attribute("data-state", "resolved")
    expect(page.locator(f'[data-linked-incident="{latest.number}"]')).to_have_attribute("data-state", "in_progress")
    problem = Problem.objects.get()
    latest.refresh_from_db()
    assert (problem.state, problem.root_cause, problem.resolution_code) == (
        ProblemState.RESOLVED, "The fuser overheats after 200 pages.", "fixed")
    assert latest.state == IncidentState.IN_PROGRESS and latest.on_hold_reason != OnHoldReason.AWAITING_PROBLEM


def test_an_auditor_reads_a_problem_without_any_control(page, sign_in, make_user):
    agent = make_user(Role.AGENT, username="agent")
    auditor = make_user(Role.AUDITOR, username="auditor")
    problem = services.problem_create(actor=agent, data={"short_description": "Backups run late"})
    sign_in(page, auditor)

    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("button", name="Service desk").click()
    menu.get_by_role("link", name="Problems", exact=True).click()
    page.get_by_role("link", name=problem.number).click()

    expect(page.locator("#problem-title")).to_have_text("Backups run late")
    expect(page.locator("#problem-actions")).to_have_count(0)
    expect(page.locator("#comment-form")).to_have_count(0)
