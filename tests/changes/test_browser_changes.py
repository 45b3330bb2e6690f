"""Change management in real headless Chromium, as its people use it: a change manager raises a
normal change, assesses it, answers the risk questionnaire and asks for authorisation; the CAB's
members approve from the change page while the requester's own approval is refused; the change
is scheduled into a blackout only with an override reason; its implementer starts it, it fails,
and it closes only with a review; an auditor reads everything and can change nothing.

Set-up goes through the services (questionnaire, approval rule and CAB board, windows, changes
brought to the step a test starts from); what is tested happens on the pages."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from changes.models import Change
from changes.selectors_approvals import pending_authorisation
from changes.services.states import change_transition
from itsm.choices import Role
from tests.changes.factories_approvals import approve, make_board, make_rule, under_authorisation
from tests.changes.factories_catalogue import make_questionnaire
from tests.changes.factories_schedule import make_window
from tests.config_items.factories import link, make_ci, make_service
from tests.factories import CustomerFactory
from tests.fixtures_browser import submit_and_wait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RULE = "CAB approval"
WINDOW_INPUT = "%Y-%m-%dT%H:%M"  # what a datetime-local input takes


@pytest.fixture
def people(make_user):
    """The change manager Carla also sits on the CAB: she may not approve what she requested."""
    def person(username, first, last, *roles):
        return make_user(*roles, username=username, first_name=first, last_name=last)

    return {
        "admin": person("ada", "Ada", "Admin", Role.ADMINISTRATOR),
        "carla": person("carla", "Carla", "Chang", Role.CHANGE_MANAGER, Role.CAB_MEMBER),
        "ann": person("ann", "Ann", "Archer", Role.CAB_MEMBER),
        "bob": person("bob", "Bob", "Baker", Role.CAB_MEMBER),
        "ivan": person("ivan", "Ivan", "Imre", Role.AGENT),
        "otto": person("otto", "Otto", "Ortiz", Role.AUDITOR),
    }


@pytest.fixture
def cab(people):
    """The weekly CAB (Ann, Bob, Carla) approves every change, all of them who may decide."""
    board = make_board(people["admin"], name="Weekly CAB", members=[people["ann"], people["bob"], people["carla"]])
    return make_rule(people["admin"], name=RULE, board=board, quorum="all")


@pytest.fixture
def relay():
    """mail-relay-01, on which the Mail service (one customer) depends."""
    mail = make_service(name="Mail", customers=[CustomerFactory(name="Acme")])
    relay = make_ci(name="mail-relay-01")
    link(mail, relay)
    return relay


def authorised(people, relay, **data) -> Change:
    """A normal change Carla requested, approved by Ann and Bob (not scheduled yet)."""
    change = under_authorisation(people["carla"], people["carla"], cis=[relay],
                                 short_description="Upgrade the mail relays", **data)
    approve(people["ann"], change, RULE, "Fine")
    approve(people["bob"], change, RULE, "Fine")
    return Change.objects.get(pk=change.pk)


def local_input(instant) -> str:
    return timezone.localtime(instant).strftime(WINDOW_INPUT)


def open_step(page, step):
    """Open a workflow step's panel and wait until it has finished opening."""
    page.locator(f"[data-open-transition={step}]").click()
    panel = page.locator(f"#panel-transition-{step}")
    expect(panel).to_have_class(re.compile(r"\bshow\b"))
    return panel


def expect_state(page, state):
    expect(page.locator("#change-summary [data-change-state]")).to_have_attribute("data-change-state", state)


# --- 1. raise, assess, risk, authorisation ------------------------------------------------------

def test_a_change_manager_raises_a_change_answers_the_risk_questionnaire_and_asks_the_cab(
        page, sign_in, people, cab, relay):
    make_questionnaire(people["admin"])
    sign_in(page, people["carla"])

    page.goto("/changes/new/")
    page.get_by_label("Short description").fill("Upgrade the mail relays")
    page.get_by_label("Justification").fill("The current release is out of support.")
    page.locator("#id_cis-ts-control").fill("mail-relay")
    page.locator("#id_cis-ts-dropdown .option", has_text="mail-relay-01").click()
    submit_and_wait(page, page.locator("#change-submit"))

    expect(page.locator("#change-title")).to_have_text("Upgrade the mail relays")
    expect_state(page, "new")
    number = page.locator("#change-number").inner_text()
    submit_and_wait(page, page.get_by_role("button", name="Start assessment"))
    expect_state(page, "assessment")

    # Asking before the risk is known and the plans are written is refused, and says why.
    panel = open_step(page, "request_authorisation")
    submit_and_wait(page, panel.get_by_role("button", name="Ask for authorisation"))
    panel = page.locator("#panel-transition-request_authorisation")
    expect(panel).to_contain_text("This plan is required before authorisation.")
    expect(panel).to_contain_text("Assess the risk (answer the risk questionnaire) first.")
    expect_state(page, "assessment")

    risk = page.locator("#risk")
    expect(risk.locator("#risk-level")).to_have_text("Not assessed")
    risk.get_by_role("group", name="Does it need an outage?").get_by_label("Long").check()
    risk.get_by_role("group", name="Was it tested?").get_by_label("No").check()
    submit_and_wait(page, risk.get_by_role("button", name="Assess the risk"))

    expect(page.locator("#main")).to_contain_text("Risk assessed: High (score 13).")
    risk = page.locator("#risk")
    expect(risk.locator("#risk-level")).to_have_text("High · 13")
    expect(risk.locator("#risk-score")).to_have_text("13")
    reasons = risk.locator("#risk-reasons")
    expect(reasons).to_contain_text("The answers add up to a score of 13.")
    expect(reasons).to_contain_text("The heaviest answer: “Long” to “Does it need an outage?” (10).")
    expect(reasons).to_contain_text("A score from 10 is High.")
    expect(reasons).to_contain_text("Very high would start at 15.")
    expect(risk.locator('[data-threshold="high"]')).to_have_attribute("aria-current", "true")
    expect(risk.locator("#risk-impacted-services")).to_contain_text("Mail · 1 customer")
    expect(page.locator("#change-summary [data-change-risk]")).to_have_text("High risk")

    panel = open_step(page, "request_authorisation")
    panel.get_by_label("Implementation plan").fill("Upgrade one relay at a time, drained first.")
    panel.get_by_label("Backout plan").fill("Reinstall the previous release from the local mirror.")
    panel.get_by_label("Test plan").fill("Send a test message through each relay.")
    submit_and_wait(page, panel.get_by_role("button", name="Ask for authorisation"))

    expect_state(page, "authorisation")
    expect(page.locator("#plan-backout")).to_have_text("Reinstall the previous release from the local mirror.")
    approvals = page.locator("#approvals-panel")
    group = approvals.locator(".approval-group")
    expect(group).to_contain_text(RULE)
    expect(group).to_contain_text("All: 2 of 2 · CAB Weekly CAB")
    expect(group.locator(".approval-members")).to_contain_text("Ann Archer")
    expect(group.locator(".approval-members")).not_to_contain_text("Carla Chang")
    expect(approvals.locator(".approval-excluded")).to_contain_text("You requested or implement this change")
    expect(approvals.locator(".approval-approve")).to_have_count(0)
    change = Change.objects.get(number=number)
    assert (change.state, change.risk, change.risk_score) == ("authorisation", "high", 13)
    assert change.requester == people["carla"] and list(change.cis.all()) == [relay]


# --- 2. the CAB approves; the requester's own approval is refused ----------------------------------

def approve_on_the_page(page, comment):
    form = page.locator("#approvals-panel .approval-decide-form")
    form.get_by_placeholder("Comment (optional)").fill(comment)
    submit_and_wait(page, form.get_by_role("button", name="Approve"))


def test_cab_members_approve_from_the_change_page_and_the_requesters_approval_is_refused(
        page, sign_in, people, cab, relay):
    change = under_authorisation(people["carla"], people["carla"], cis=[relay], short_description="Upgrade the relays")
    group = pending_authorisation(change).groups.get()
    decisions = page.locator("#approvals-panel .approval-decision[data-outcome=approve]")

    sign_in(page, people["ann"])
    page.goto(f"/changes/{change.pk}/")
    approve_on_the_page(page, "Tested on staging last week.")
    expect(page.locator("#main")).to_contain_text(f"You approved {change.number}.")
    expect(decisions).to_have_count(1)
    expect(decisions).to_contain_text("Ann Archer (as CAB member (Weekly CAB))")
    expect(decisions).to_contain_text("Tested on staging last week.")
    expect(page.locator("#approvals-panel .approval-approve")).to_have_count(0)  # she has decided

    # Carla requested it: neither the change page nor the group's decide page, reached by its
    # address, offers her an approval; both say why. The count stays at one.
    sign_in(page, people["carla"])
    page.goto(f"/changes/{change.pk}/")
    expect(page.locator("#approvals-panel .approval-excluded")).to_contain_text(
        "You requested or implement this change: someone else must approve it.")
    expect(page.locator("#approvals-panel .approval-approve")).to_have_count(0)
    page.goto(reverse("change_approval_decide", args=[group.pk]))
    expect(page.locator("#decide-refusal")).to_have_text(
        "You requested or implement this change: someone else must approve it.")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    page.goto(f"/changes/{change.pk}/")
    expect(decisions).to_have_count(1)
    expect(page.locator("#approvals-panel .approval-group")).to_have_attribute("data-state", "pending")

    sign_in(page, people["bob"])
    page.goto(f"/changes/{change.pk}/")
    approve_on_the_page(page, "Backout plan is sound.")
    expect(decisions).to_have_count(2)
    expect(page.locator("#approvals-panel .approval-request")).to_have_attribute("data-state", "approved")
    expect(page.locator("#timeline")).to_contain_text("Authorised: every approver group approved.")
    change.refresh_from_db()
    assert change.authorised_at is not None and group.decisions.count() == 2
    assert not group.decisions.filter(approver=people["carla"]).exists()


# --- 3. scheduling into a blackout -----------------------------------------------------------------

def test_scheduling_into_a_blackout_needs_an_override_reason(page, sign_in, people, cab, relay):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    make_window(actor=people["admin"], name="Payroll freeze", start=start - timedelta(hours=2),
                end=start + timedelta(hours=6))
    change = authorised(people, relay)
    sign_in(page, people["carla"])
    page.goto(f"/changes/{change.pk}/")

    form = page.locator("#schedule-form")
    form.get_by_label("Planned start").fill(local_input(start))
    form.get_by_label("Planned end").fill(local_input(start + timedelta(hours=2)))
    submit_and_wait(page, form.get_by_role("button", name="Schedule"))

    form = page.locator("#schedule-form")
    expect(form).to_contain_text("These conflicts need an override")
    preview = page.locator("#conflict-preview [data-conflict-kind=blackout]")
    expect(preview).to_contain_text("Needs an override")
    expect(preview.locator(".conflict-cause")).to_contain_text("Payroll freeze")
    assert Change.objects.get(pk=change.pk).state == "authorisation"

    form.get_by_label("Override reason").fill("The relays' certificates expire the day after.")
    submit_and_wait(page, form.get_by_role("button", name="Schedule"))

    expect(page.locator("#main")).to_contain_text(f"{change.number} is scheduled.")
    expect_state(page, "scheduled")
    conflict = page.locator("#conflict-list [data-conflict-kind=blackout]")
    expect(conflict.locator(".conflict-cause")).to_contain_text("Payroll freeze")
    expect(conflict.locator(".conflict-override")).to_contain_text(
        "Overridden by Carla Chang")
    expect(page.locator("#conflict-override")).to_contain_text("The relays' certificates expire the day after.")
    change.refresh_from_db()
    assert change.state == "scheduled" and change.planned_start == start


# --- 4. implementation, failure, review -------------------------------------------------------------

def test_the_implementer_starts_and_fails_and_the_change_closes_only_with_a_review(page, sign_in, people, cab, relay):
    now = timezone.now()
    change = authorised(people, relay, implementer=people["ivan"], planned_start=now - timedelta(minutes=30),
                        planned_end=now + timedelta(hours=2))
    change_transition(actor=people["carla"], change=change, name="schedule")
    sign_in(page, people["ivan"])
    page.goto(f"/changes/{change.pk}/")

    page.once("dialog", lambda dialog: dialog.accept())  # "Start implementing CHG… now?"
    submit_and_wait(page, page.get_by_role("button", name="Start implementation"))
    expect_state(page, "implementation")

    panel = open_step(page, "complete")
    panel.get_by_label("Close code").select_option(label="Failed")
    panel.get_by_label("Close notes").fill("Relay 2 rejected the new TLS settings; backed out by hand.")
    submit_and_wait(page, panel.get_by_role("button", name="Complete implementation"))
    expect_state(page, "review")
    expect(page.locator("#change-close-code")).to_contain_text("Failed")

    sign_in(page, people["carla"])
    page.goto(f"/changes/{change.pk}/")
    panel = open_step(page, "close")
    submit_and_wait(page, panel.get_by_role("button", name="Close"))
    panel = page.locator("#panel-transition-close")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("This change needs post-implementation review notes before it closes.")
    expect_state(page, "review")

    panel.get_by_label("Post-implementation review").fill("TLS settings differ per relay: template them first.")
    submit_and_wait(page, panel.get_by_role("button", name="Close"))

    expect_state(page, "closed")
    expect(page.locator("#change-review-notes")).to_contain_text("template them first")
    timeline = page.locator("#timeline")
    for state in ("Implementation", "Review", "Closed"):
        expect(timeline.locator(".timeline-state", has_text=state).first).to_be_visible()
    expect(timeline).to_contain_text("Relay 2 rejected the new TLS settings")
    change.refresh_from_db()
    assert (change.state, change.close_code) == ("closed", "failed")
    assert change.actual_start is not None and change.actual_end is not None and change.reviewed_at is not None


# --- 5. an auditor reads, and changes nothing ------------------------------------------------------

def no_controls(page):
    """Nothing on the page (past the menus) that posts, and no link to raise or edit."""
    body = page.locator(".page-wrapper")
    expect(body.locator("form[method=post i]")).to_have_count(0)
    expect(body.locator("a[href$='/new/'], a[href$='/edit/'], a[href*='new/?']")).to_have_count(0)
    for name in ("Approve", "Reject", "Schedule", "Edit", "Raise a change", "Start assessment"):
        expect(body.get_by_role("button", name=name, exact=True)).to_have_count(0)


def test_an_auditor_reads_the_change_the_list_and_the_calendar_without_any_control(
        page, sign_in, people, cab, relay):
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=3)
    change = authorised(people, relay, planned_start=start, planned_end=start + timedelta(hours=2))
    change = change_transition(actor=people["carla"], change=change, name="schedule")
    pending = under_authorisation(people["carla"], people["carla"], short_description="Rotate the certificates")
    sign_in(page, people["otto"])

    page.goto(f"/changes/{change.pk}/")
    expect(page.locator("#change-title")).to_have_text("Upgrade the mail relays")
    expect(page.locator("#approvals-panel .approval-decision")).to_have_count(2)
    expect(page.locator("#risk")).to_be_visible()
    expect(page.locator("#change-actions")).to_have_count(0)
    expect(page.locator("#risk-form")).to_have_count(0)
    no_controls(page)

    page.goto(f"/changes/{pending.pk}/")
    expect(page.locator("#approvals-panel .approval-group")).to_have_attribute("data-state", "pending")
    no_controls(page)
    group = pending_authorisation(pending).groups.get()
    page.goto(reverse("change_approval_decide", args=[group.pk]))
    expect(page.locator("#decide-refusal")).to_have_text(f"You are not an approver of {RULE}.")
    no_controls(page)

    page.goto("/changes/")
    expect(page.locator("#list-results")).to_contain_text(change.number)
    expect(page.locator("#list-results")).to_contain_text(pending.number)
    no_controls(page)

    page.goto("/changes/calendar/")
    expect(page.locator(".fc-event", has_text=change.number)).to_be_visible()
    no_controls(page)
