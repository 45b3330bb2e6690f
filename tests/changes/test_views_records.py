"""The change pages of the records slice: the list and its queues and filters, raising normal and
emergency changes, editing with a stale version, the change page (plans, impacted services,
links, timeline, panels of other slices), and its workflow steps with their refusals."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from changes.choices import ChangeModel, ChangeState
from changes.models import Change
from changes.services import states
from changes.services.records import change_link_incidents, change_link_problems, change_update
from changes.views import panels
from itsm.choices import Role
from itsm.exceptions import GuardFailed
from tests.assertions import assert_nothing_written
from tests.changes.factories import PLANS, make_change, move, window
from tests.changes.factories_approvals import under_authorisation
from tests.changes.factories_records import approver_for_everything, authorised, scheduled, standard_scheduled
from tests.config_items.factories import link, make_ci, make_service
from tests.factories import CustomerFactory, TeamFactory
from tests.incidents.factories import make_incident
from tests.problems.factories import make_problem

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def detail_url(change) -> str:
    return reverse("change_detail", args=[change.pk])


def numbers(response) -> list[str]:
    return [change.number for change in response.context["object_list"]]


def fmt(instant) -> str:
    return timezone.localtime(instant).strftime("%Y-%m-%dT%H:%M")


# --- the list -----------------------------------------------------------------------------------

def test_an_agent_lands_on_their_own_changes_and_sees_the_queue_counts(agent, change_manager):
    mine = make_change(agent, short_description="Mine")
    make_change(change_manager, short_description="Someone else's", change_model="emergency")

    page = client_of(agent).get(reverse("change_list"))

    assert page.status_code == 200
    assert numbers(page) == [mine.number]
    tabs = {tab["value"]: tab["count"] for tab in page.context["queue_tabs"]}
    assert tabs["mine"] == 1 and tabs["open"] == 2 and tabs["emergency"] == 1 and tabs["review"] == 0


def test_change_managers_and_auditors_land_on_the_open_changes(agent, change_manager, auditor):
    make_change(agent)
    make_change(change_manager)

    for user in (change_manager, auditor):
        page = client_of(user).get(reverse("change_list"))
        assert len(page.context["object_list"]) == 2
        assert f'href="{reverse("change_approval_awaiting")}"' in page.content.decode()  # the approvals' queue
    tabs = [tab["value"] for tab in client_of(auditor).get(reverse("change_list")).context["queue_tabs"]]
    assert "mine" not in tabs and "implementing" not in tabs  # an auditor raises nothing
    assert "Raise a change" not in client_of(auditor).get(reverse("change_list")).content.decode()


def test_the_queue_of_this_week_holds_the_scheduled_changes_whose_window_is_near(agent, change_manager):
    approver = approver_for_everything()
    soon = scheduled(change_manager, agent, approver, window(hours_from_now=24), short_description="Soon")
    scheduled(change_manager, agent, approver, window(hours_from_now=24 * 20), short_description="Later")
    make_change(agent, short_description="Not scheduled", **window(hours_from_now=24))

    page = client_of(change_manager).get(reverse("change_list"), {"queue": "scheduled_week"})

    assert numbers(page) == [soon.number]


def test_the_list_filters_by_state_model_service_ci_window_and_text(agent, change_manager):
    mail, relay = make_service(name="Mail"), make_ci(name="relay-01")
    by_service = make_change(agent, short_description="Mail relay patch", services=[mail])
    by_ci = make_change(agent, short_description="Kernel update", cis=[relay], **window(hours_from_now=48))
    emergency = make_change(agent, short_description="Hotfix", change_model="emergency")
    assessed = move(change_manager, make_change(agent, short_description="Firewall rules"), "assess")
    client = client_of(change_manager)
    url = reverse("change_list")
    start = timezone.now() + timedelta(hours=40)

    assert numbers(client.get(url, {"service": mail.pk})) == [by_service.number]
    assert numbers(client.get(url, {"ci": relay.pk})) == [by_ci.number]
    assert numbers(client.get(url, {"change_model": "emergency"})) == [emergency.number]
    assert numbers(client.get(url, {"state": "assessment"})) == [assessed.number]
    assert numbers(client.get(url, {"q": "relay"})) == [by_service.number]
    assert numbers(client.get(url, {"q": by_ci.number.lower()})) == [by_ci.number]
    assert numbers(client.get(url, {"planned_from": fmt(start), "planned_to": fmt(start + timedelta(hours=10))})) \
        == [by_ci.number]
    htmx = client.get(url, {"q": "Hotfix"}, HTTP_HX_REQUEST="true")
    assert htmx.templates[0].name == "changes/records/_results.html" and numbers(htmx) == [emergency.number]


def test_a_bad_filter_is_said_and_lists_nothing(change_manager):
    make_change(change_manager)

    page = client_of(change_manager).get(reverse("change_list"), {"planned_from": "not a date"})

    assert page.status_code == 200 and numbers(page) == []
    assert "Enter a valid date and time" in page.content.decode()


def test_the_list_sorts_and_exports_csv(agent):
    make_change(agent, short_description="Beta")
    make_change(agent, short_description="Alpha", services=[make_service(name="Mail")])
    client = client_of(agent)

    sorted_page = client.get(reverse("change_list"), {"queue": "open", "sort": "short_description"})
    response = client.get(reverse("change_list"), {"queue": "open", "export": "csv"})

    assert [c.short_description for c in sorted_page.context["object_list"]] == ["Alpha", "Beta"]
    body = b"".join(response.streaming_content).decode()
    assert body.lstrip("\ufeff").startswith("Number,Short description,Model,State")
    assert "Alpha" in body and "Mail" in body


def test_a_saved_filter_comes_back_on_the_list(agent):
    client = client_of(agent)

    response = client.post(reverse("change_saved_filter_create"), {"name": "Emergencies",
                                                                   "query": "change_model=emergency&page=2"})

    assert response.status_code == 302 and response["Location"] == "/changes/?change_model=emergency"
    page = client.get(reverse("change_list"))
    assert [(s.name, s.query) for s in page.context["saved_filters"]] == [("Emergencies", "change_model=emergency")]


def test_the_list_costs_the_same_queries_for_few_and_many_changes(agent, django_assert_max_num_queries):
    team = TeamFactory(members=[agent])
    service = make_service(name="Mail")
    make_change(agent, assignment_group=team, implementer=agent, services=[service])
    client = client_of(agent)
    url = reverse("change_list") + "?queue=open"
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(30):
        make_change(agent, short_description=f"Change {n}", assignment_group=team, implementer=agent,
                    services=[service, make_service(name=f"Service {n}")])
    with django_assert_max_num_queries(len(few)):
        page = client.get(url)
    assert len(page.context["object_list"]) == 31


def test_requesters_may_not_open_the_change_pages(requester, agent):
    change = make_change(agent)
    client = client_of(requester)

    for url in (reverse("change_list"), reverse("change_create"), detail_url(change)):
        assert client.get(url).status_code == 403


# --- raising and editing ------------------------------------------------------------------------

def test_an_agent_raises_a_normal_change_with_services_cis_and_a_window(agent):
    team = TeamFactory(members=[agent])
    mail, relay = make_service(name="Mail"), make_ci(name="relay-01")
    start = timezone.now() + timedelta(days=2)

    response = client_of(agent).post(reverse("change_create"), {
        "short_description": "Patch the mail relays", "justification": "CVE-2026-0001",
        "change_model": "normal", "services": [mail.pk], "cis": [relay.pk], "assignment_group": team.pk,
        "implementer": agent.pk, **PLANS, "planned_start": fmt(start), "planned_end": fmt(start + timedelta(hours=2)),
    })

    change = Change.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(change)
    assert change.change_model == ChangeModel.NORMAL and change.requester == agent
    assert list(change.services.all()) == [mail] and list(change.cis.all()) == [relay]
    assert change.implementer == agent and change.backout_plan == PLANS["backout_plan"]
    assert fmt(change.planned_start) == fmt(start)


def test_an_emergency_change_is_raised_from_the_list_button(change_manager):
    client = client_of(change_manager)

    form = client.get(reverse("change_create"), {"change_model": "emergency"})
    response = client.post(reverse("change_create"), {"short_description": "Stop the data leak",
                                                      "change_model": "emergency"})

    assert form.context["form"]["change_model"].value() == "emergency"
    assert response.status_code == 302
    assert Change.objects.get().change_model == ChangeModel.EMERGENCY


def test_a_standard_change_is_not_raised_from_the_form(agent):
    response = client_of(agent).post(reverse("change_create"), {"short_description": "Routine",
                                                                "change_model": "standard"})

    assert response.status_code == 200 and not Change.objects.exists()
    assert "change_model" in response.context["form"].errors


def test_the_service_refusal_lands_on_its_field_and_the_input_is_kept(agent):
    application = make_ci(name="not-a-service")

    response = client_of(agent).post(reverse("change_create"), {
        "short_description": "Wrong service", "change_model": "normal", "services": [application.pk]})

    assert response.status_code == 200 and not Change.objects.exists()
    form = response.context["form"]
    assert "services" in form.errors
    assert form["short_description"].value() == "Wrong service"


def test_a_window_that_ends_before_it_starts_is_refused(agent):
    start = timezone.now() + timedelta(days=1)

    response = client_of(agent).post(reverse("change_create"), {
        "short_description": "Backwards", "change_model": "normal",
        "planned_start": fmt(start), "planned_end": fmt(start - timedelta(hours=1))})

    assert response.context["form"].errors["planned_end"] == ["The planned end must be after the planned start."]


def test_an_edit_over_someone_elses_edit_is_refused_with_a_reload_message(agent, change_manager):
    change = make_change(agent, short_description="Original")
    client = client_of(agent)
    form = client.get(reverse("change_update", args=[change.pk]))
    version = form.context["form"]["version"].value()
    change_update(actor=change_manager, change=change, data={"short_description": "Theirs"})

    with assert_nothing_written(Change, Change.history.model):
        response = client.post(reverse("change_update", args=[change.pk]), {
            "short_description": "Mine", "change_model": "normal", "version": version})

    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "changed" in errors.lower() or "reload" in errors.lower()
    change.refresh_from_db()
    assert change.short_description == "Theirs"


def test_an_edit_saves_and_keeps_the_requester(agent, change_manager):
    change = make_change(agent)

    response = client_of(change_manager).post(reverse("change_update", args=[change.pk]), {
        "short_description": "Better words", "change_model": "normal", "version": change.version})

    change.refresh_from_db()
    assert response.status_code == 302
    assert change.short_description == "Better words" and change.requester == agent


def test_an_edit_that_leaves_window_and_plans_as_shown_keeps_the_approval(agent, change_manager):
    change = scheduled(change_manager, agent, approver_for_everything(), window(hours_from_now=72),
                       implementation_plan="Step one.\nStep two.")
    client = client_of(change_manager)
    form = client.get(reverse("change_update", args=[change.pk])).context["form"]
    shown = {name: form[name].value() for name in ("planned_start", "planned_end")}

    response = client.post(reverse("change_update", args=[change.pk]), {
        "short_description": change.short_description, "description": "Only the description is new",
        "change_model": "normal", "implementation_plan": "Step one.\r\nStep two.",
        "backout_plan": change.backout_plan, "test_plan": change.test_plan, "version": change.version,
        **{name: value.strftime("%Y-%m-%dT%H:%M") if hasattr(value, "strftime") else value
           for name, value in shown.items()}})

    change.refresh_from_db()
    assert response.status_code == 302
    assert change.state == ChangeState.SCHEDULED and change.authorised_at is not None
    assert change.description == "Only the description is new"
    assert change.implementation_plan == "Step one.\nStep two."


def test_a_closed_or_cancelled_change_is_not_edited(agent, change_manager):
    change = move(change_manager, make_change(agent), "cancel", cancel_reason="Not needed")

    response = client_of(agent).get(reverse("change_update", args=[change.pk]))

    assert response.status_code == 302 and response["Location"] == detail_url(change)


# --- the change page ----------------------------------------------------------------------------

def test_the_change_page_shows_plans_windows_people_and_impacted_services(agent, change_manager):
    team = TeamFactory(members=[agent], name="Messaging")
    database = make_ci(name="db-01", type_slug="server")
    mail = make_service(name="Mail")
    mail.customers.add(CustomerFactory(), CustomerFactory())
    link(mail, database)
    change = make_change(agent, short_description="Upgrade the database", cis=[database], assignment_group=team,
                         implementer=agent, justification="End of support", **PLANS, **window(hours_from_now=30))

    page = client_of(change_manager).get(detail_url(change))

    assert page.status_code == 200
    html = page.content.decode()
    for text in ("Upgrade the database", "End of support", *PLANS.values(), "Messaging", "db-01"):
        assert text in html
    assert 'data-impacted-service="Mail"' in html and "2 customers" in html
    assert 'data-change-model="normal"' in html and 'data-change-state="new"' in html
    steps = [item["step"].name for item in page.context["transition_forms"]]
    assert steps == ["assess", "request_authorisation", "cancel"]


def test_the_auditor_reads_the_change_page_without_any_control(agent, auditor):
    change = make_change(agent)

    page = client_of(auditor).get(detail_url(change))

    html = page.content.decode()
    assert page.status_code == 200 and page.context["transition_forms"] == []
    assert 'id="change-actions"' not in html and 'id="comment-form"' not in html


def test_the_timeline_shows_state_changes_comments_and_edits(agent, change_manager):
    change = make_change(agent)
    client = client_of(change_manager)
    client.post(reverse("change_comment", args=[change.pk]), {"body": "Checked with the vendor", "internal": "on"})
    change = move(change_manager, Change.objects.get(pk=change.pk), "assess")
    change_update(actor=change_manager, change=change, data={"short_description": "Renamed"})

    page = client.get(detail_url(change))

    kinds = [item["kind"] for item in page.context["timeline"]]
    assert "work_note" in kinds and "state_change" in kinds and "history" in kinds
    assert "Checked with the vendor" in page.content.decode()


def test_the_change_page_shows_the_panels_of_other_slices_in_their_column(agent, monkeypatch):
    change = make_change(agent)
    monkeypatch.setattr(panels, "_panels", {})
    panels.register(panels.Panel("side-test", "changes/includes/badges.html",
                                 lambda c, request: {"note": "x"}, column="side"))
    panels.register(panels.Panel("hidden", "no/such/template.html", lambda c, request: None))

    page = client_of(agent).get(detail_url(change))

    assert [p["key"] for p in page.context["side_panels"]] == ["side-test"]
    assert page.context["main_panels"] == []


def test_the_change_page_costs_the_same_queries_with_more_links_and_entries(agent, change_manager,
                                                                           django_assert_max_num_queries):
    change = make_change(agent, cis=[make_ci()], services=[make_service()])
    client = client_of(change_manager)
    with CaptureQueriesContext(connection) as few:
        client.get(detail_url(change))
    few = len(few)  # now: each request clears the connection's query log
    services = [make_service(name=f"Service {n}") for n in range(5)]
    change = change_update(actor=change_manager, change=change, data={
        "services": services, "cis": [make_ci() for _ in range(5)]})
    change_link_problems(actor=agent, change=change, problems=[make_problem(agent) for _ in range(3)])
    change_link_incidents(actor=agent, change=change, incidents=[make_incident(agent) for _ in range(3)])
    for n in range(5):
        client.post(reverse("change_comment", args=[change.pk]), {"body": f"Note {n}"})

    with django_assert_max_num_queries(few):
        page = client.get(detail_url(change))
    assert len(page.context["problems"]) == 3 and len(page.context["services"]) == 5


# --- steps from the page ------------------------------------------------------------------------

def post_step(client, change, name, **data):
    change.refresh_from_db()
    return client.post(reverse("change_transition", args=[change.pk]),
                       {"transition": name, "version": change.version, **data})


def test_a_change_manager_starts_the_assessment_from_the_page(agent, change_manager):
    change = make_change(agent)

    response = post_step(client_of(change_manager), change, "assess")

    change.refresh_from_db()
    assert response.status_code == 302 and change.state == ChangeState.ASSESSMENT


def test_a_guard_failure_is_shown_on_the_steps_form(agent, change_manager):
    change = move(change_manager, make_change(agent), "assess")

    with assert_nothing_written(Change, Change.history.model):
        response = post_step(client_of(change_manager), change, "request_authorisation",
                             implementation_plan="Do it", backout_plan="", test_plan="")

    assert response.status_code == 400
    assert response.context["open_panel"] == "transition-request_authorisation"
    form = next(item["form"] for item in response.context["transition_forms"]
                if item["step"].name == "request_authorisation")
    assert form.errors["backout_plan"] == ["This plan is required before authorisation."]
    assert any("risk" in error.lower() for error in form.non_field_errors())
    assert form["implementation_plan"].value() == "Do it"  # the input is kept
    assert 'id="panel-transition-request_authorisation"' in response.content.decode()


def test_a_refused_step_without_input_opens_its_panel_to_say_why(agent, change_manager, monkeypatch):
    def refuse(*args, **kwargs):
        raise GuardFailed("Refused", fields={"planned_start": "The planned window has not started yet."})

    monkeypatch.setattr(states, "_check_before", refuse)
    change = make_change(agent)

    response = post_step(client_of(change_manager), change, "assess")

    item = next(item for item in response.context["transition_forms"] if item["step"].name == "assess")
    assert response.status_code == 400 and not item["direct"]
    assert "The planned window has not started yet." in response.content.decode()


def test_cancelling_needs_a_reason(agent, change_manager):
    change = make_change(agent)
    client = client_of(change_manager)

    refused = post_step(client, change, "cancel", cancel_reason="  ")
    cancelled = post_step(client, change, "cancel", cancel_reason="Superseded by CHG0002")

    assert refused.status_code == 400
    form = next(i["form"] for i in refused.context["transition_forms"] if i["step"].name == "cancel")
    assert "cancel_reason" in form.errors
    change.refresh_from_db()
    assert cancelled.status_code == 302 and change.state == ChangeState.CANCELLED
    assert change.cancel_reason == "Superseded by CHG0002" and change.close_code == "cancelled"


def test_scheduling_before_approval_is_refused_on_the_schedule_form(agent, change_manager):
    approver_for_everything()
    change = under_authorisation(change_manager, agent)
    when = window(hours_from_now=48)

    with assert_nothing_written(Change, Change.history.model):
        response = post_step(client_of(change_manager), change, "schedule",
                             planned_start=fmt(when["planned_start"]), planned_end=fmt(when["planned_end"]))

    assert response.status_code == 400
    assert "Every approver group must approve the change first." in response.content.decode()


def test_an_approved_change_is_scheduled_from_the_page_and_an_edit_sends_it_back(agent, change_manager):
    change = authorised(change_manager, agent, approver_for_everything())
    when = window(hours_from_now=72)
    client = client_of(change_manager)

    response = post_step(client, change, "schedule", planned_start=fmt(when["planned_start"]),
                         planned_end=fmt(when["planned_end"]))
    change.refresh_from_db()
    assert response.status_code == 302 and change.state == ChangeState.SCHEDULED
    edit = client.post(reverse("change_update", args=[change.pk]), {
        "short_description": change.short_description, "change_model": "normal", **PLANS,
        "backout_plan": "Restore the snapshot", "planned_start": fmt(change.planned_start),
        "planned_end": fmt(change.planned_end), "version": change.version}, follow=True)

    change.refresh_from_db()
    assert change.state == ChangeState.AUTHORISATION and change.authorised_at is None
    assert "needs its approval again" in edit.content.decode()


def test_the_agent_who_does_not_implement_is_not_offered_start(agent, change_manager, make_user):
    other = make_user(Role.AGENT, username="other")
    change = standard_scheduled(change_manager, implementer=agent)

    mine = client_of(agent).get(detail_url(change)).context["transition_forms"]
    theirs = client_of(other).get(detail_url(change)).context["transition_forms"]

    assert "start" in [item["step"].name for item in mine]
    assert "start" not in [item["step"].name for item in theirs]
    response = post_step(client_of(other), change, "start")
    assert response.status_code == 403


def test_the_implementer_starts_and_completes_and_the_manager_closes_with_a_review(agent, change_manager):
    change = standard_scheduled(change_manager, implementer=agent)
    client = client_of(agent)

    started = post_step(client, change, "start")
    no_code = post_step(client, change, "complete", close_code="")
    completed = post_step(client, change, "complete", close_code="failed", close_notes="Disk full")
    no_review = post_step(client_of(change_manager), change, "close", review_notes="")
    closed = post_step(client_of(change_manager), change, "close", review_notes="Add disk checks to the plan")

    assert started.status_code == 302 and completed.status_code == 302 and closed.status_code == 302
    assert no_code.status_code == 400 and no_review.status_code == 400
    form = next(i["form"] for i in no_review.context["transition_forms"] if i["step"].name == "close")
    assert form.errors["review_notes"]
    change.refresh_from_db()
    assert change.state == ChangeState.CLOSED and change.close_code == "failed" and change.actual_end
    assert "Add disk checks to the plan" in client.get(detail_url(change)).content.decode()


# --- links ----------------------------------------------------------------------------------------

def test_problems_and_caused_incidents_are_linked_and_unlinked_from_the_page(agent):
    change = make_change(agent)
    problem, incident = make_problem(agent, short_description="Relay leaks"), make_incident(agent)
    client = client_of(agent)

    client.post(reverse("change_link_problems", args=[change.pk]), {"problems": [problem.pk]})
    client.post(reverse("change_link_incidents", args=[change.pk]), {"incidents": [incident.pk]})
    page = client.get(detail_url(change))

    html = page.content.decode()
    assert f'data-linked-problem="{problem.number}"' in html and f'data-caused-incident="{incident.number}"' in html
    assert f"Fixes problem {problem.number}" in html
    response = client.post(reverse("change_unlink_problem", args=[change.pk]), {"record": problem.pk})
    assert response.status_code == 302 and not change.problems.exists()


def test_linking_nothing_is_said_on_the_form(agent):
    change = make_change(agent)

    response = client_of(agent).post(reverse("change_link_problems", args=[change.pk]), {})

    assert response.status_code == 400 and response.context["open_panel"] == "link-problems"


def test_caused_incidents_are_linked_to_a_closed_change_but_problems_are_not(agent, change_manager):
    change = move(change_manager, make_change(agent), "cancel", cancel_reason="Not needed")
    client = client_of(agent)

    incident = client.post(reverse("change_link_incidents", args=[change.pk]),
                           {"incidents": [make_incident(agent).pk]})
    problem = client.post(reverse("change_link_problems", args=[change.pk]),
                          {"problems": [make_problem(agent).pk]})

    assert incident.status_code == 302 and change.caused_incidents.count() == 1
    assert problem.status_code == 400 or problem.status_code == 302
    assert not change.problems.exists()


def test_the_pickers_search_problems_and_incidents(agent):
    problem = make_problem(agent, short_description="Relay leaks sockets")
    incident = make_incident(agent, short_description="Mail is slow")
    client = client_of(agent)

    problems = client.get(reverse("change_problem_search"), {"q": "relay"}).json()["results"]
    incidents = client.get(reverse("change_incident_search"), {"q": "slow"}).json()["results"]

    assert problems == [{"value": problem.pk, "text": f"{problem.number} Relay leaks sockets"}]
    assert incidents == [{"value": incident.pk, "text": f"{incident.number} Mail is slow"}]
