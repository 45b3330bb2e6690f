"""The change API under /api/v1/changes/: the kernel's conventions (idempotent create, If-Match,
strict input and filters, role checks) on changes, every workflow rule said through the API, the
timeline, attachments and links."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from changes.choices import ChangeState
from changes.models import Change
from changes.services.catalogue import change_create_from_template
from itsm.choices import Role
from tests.assertions import assert_nothing_written
from tests.changes.factories import PLANS, make_change, move, window
from tests.changes.factories_approvals import under_authorisation
from tests.changes.factories_catalogue import make_template
from tests.changes.factories_records import approver_for_everything, authorised, standard_scheduled
from tests.config_items.factories import link, make_ci, make_service
from tests.factories import CustomerFactory, TeamFactory
from tests.incidents.factories import make_incident
from tests.problems.factories import make_problem

pytestmark = pytest.mark.django_db

BASE = "/api/v1/changes"


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def etag(change) -> str:
    change.refresh_from_db()
    return f'"{change.pk}-{change.version}"'


def step(client, change, name, expected_status=200, **body):
    response = client.post(f"{BASE}/{change.pk}/transition/", {"transition": name, **body}, format="json")
    assert response.status_code == expected_status, response.json()
    return response.json()


# --- create, read, update -------------------------------------------------------------------------

def test_an_agent_raises_a_change_with_its_services_cis_problems_and_window(agent):
    team = TeamFactory(members=[agent])
    database = make_ci(name="db-01", type_slug="server")
    mail = make_service(name="Mail")
    mail.customers.add(CustomerFactory())
    link(mail, database)
    problem = make_problem(agent)
    when = window(hours_from_now=24)

    response = client_of(agent).post(f"{BASE}/", {
        "short_description": "Upgrade the database", "change_model": "normal", "cis": [database.pk],
        "services": [mail.pk], "problems": [problem.pk], "assignment_group": team.pk, "implementer": agent.pk,
        **PLANS, "planned_start": when["planned_start"].isoformat(), "planned_end": when["planned_end"].isoformat(),
    }, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("CHG") and body["state"] == "new" and body["requester"]["id"] == agent.pk
    assert [s["name"] for s in body["impacted_services"]] == ["Mail"]
    assert body["impacted_services"][0]["customer_count"] == 1 and body["impacted_customer_count"] == 1
    assert [p["number"] for p in body["problems"]] == [problem.number]
    assert body["allowed_transitions"] == []  # an agent runs no step of a new change
    assert response["ETag"] == f'"{body["id"]}-1"'


def test_an_idempotent_create_is_made_once(agent):
    client = client_of(agent)
    body = {"short_description": "Rotate the certificates"}

    first = client.post(f"{BASE}/", body, format="json", HTTP_IDEMPOTENCY_KEY="rotate-1")
    again = client.post(f"{BASE}/", body, format="json", HTTP_IDEMPOTENCY_KEY="rotate-1")
    other = client.post(f"{BASE}/", {"short_description": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="rotate-1")

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    assert Change.objects.count() == 1


def test_bad_input_is_refused_with_field_messages_and_nothing_written(agent):
    application = make_ci(name="not-a-service")
    client = client_of(agent)

    with assert_nothing_written(Change):
        unknown = client.post(f"{BASE}/", {"short_description": "X", "state": "closed"}, format="json")
        standard = client.post(f"{BASE}/", {"short_description": "X", "change_model": "standard"}, format="json")
        not_service = client.post(f"{BASE}/", {"short_description": "X", "services": [application.pk]},
                                  format="json")
        offset = client.post(f"{BASE}/", {"short_description": "X", "planned_start": "2026-01-01T10:00:00+23:00"},
                             format="json")
        too_early = client.post(f"{BASE}/", {"short_description": "X", "planned_end": "0001-01-01T00:00:00+01:00"},
                                format="json")

    assert unknown.status_code == 400 and "state" in unknown.json()["error"]["fields"]
    assert standard.status_code == 400 and "change_model" in standard.json()["error"]["fields"]
    assert not_service.status_code == 400 and "services" in not_service.json()["error"]["fields"]
    assert offset.status_code == 400 and "planned_start" in offset.json()["error"]["fields"]
    assert too_early.status_code == 400 and "planned_end" in too_early.json()["error"]["fields"]


def test_an_update_needs_if_match_and_refuses_a_stale_one(agent, change_manager):
    change = make_change(agent)
    client = client_of(agent)
    old = etag(change)

    without = client.patch(f"{BASE}/{change.pk}/", {"short_description": "New"}, format="json")
    ok = client.patch(f"{BASE}/{change.pk}/", {"short_description": "New"}, format="json", HTTP_IF_MATCH=old)
    stale = client.patch(f"{BASE}/{change.pk}/", {"short_description": "Newer"}, format="json", HTTP_IF_MATCH=old)

    assert without.status_code == 428
    assert ok.status_code == 200 and ok.json()["short_description"] == "New" and ok["ETag"] == etag(change)
    assert stale.status_code == 412


def test_the_requester_of_a_change_is_not_edited(agent):
    change = make_change(agent)

    response = client_of(agent).patch(f"{BASE}/{change.pk}/", {"requester": agent.pk}, format="json",
                                      HTTP_IF_MATCH=etag(change))

    assert response.status_code == 400 and "requester" in response.json()["error"]["fields"]


def test_a_material_edit_of_a_scheduled_change_sends_it_back_to_authorisation(agent, change_manager):
    change = move(change_manager, authorised(change_manager, agent, approver_for_everything()), "schedule",
                  **window(hours_from_now=48))

    response = client_of(change_manager).patch(f"{BASE}/{change.pk}/", {"backout_plan": "Restore the snapshot"},
                                               format="json", HTTP_IF_MATCH=etag(change))

    assert response.status_code == 200
    assert response.json()["state"] == "authorisation" and response.json()["authorised_at"] is None


# --- who may ----------------------------------------------------------------------------------------

def test_requesters_get_403_everywhere(requester, agent):
    change = make_change(agent)
    client = client_of(requester)

    assert client.get(f"{BASE}/").status_code == 403
    assert client.get(f"{BASE}/{change.pk}/").status_code == 403
    assert client.post(f"{BASE}/", {"short_description": "Mine"}, format="json").status_code == 403


def test_auditors_read_everything_and_write_nothing(auditor, agent):
    change = make_change(agent)
    client = client_of(auditor)

    with assert_nothing_written(Change):
        create = client.post(f"{BASE}/", {"short_description": "Audit"}, format="json")
        comment = client.post(f"{BASE}/{change.pk}/comments/", {"body": "Looks fine"}, format="json")
        patch = client.patch(f"{BASE}/{change.pk}/", {"short_description": "X"}, format="json",
                             HTTP_IF_MATCH=etag(change))

    assert client.get(f"{BASE}/").status_code == 200
    assert client.get(f"{BASE}/{change.pk}/timeline/").status_code == 200
    assert client.get(f"{BASE}/{change.pk}/transitions/").json() == []
    assert create.status_code == comment.status_code == patch.status_code == 403


def test_a_read_only_token_reads_but_never_writes(agent, token_client):
    change = make_change(agent)
    client = token_client(agent, read_only=True)

    assert client.get(f"{BASE}/{change.pk}/").status_code == 200
    assert client.post(f"{BASE}/", {"short_description": "Token"}, format="json").status_code == 403
    assert client.post(f"{BASE}/{change.pk}/transition/", {"transition": "assess"}, format="json").status_code == 403
    assert token_client(agent).post(f"{BASE}/", {"short_description": "Token"}, format="json").status_code == 201


# --- the workflow -----------------------------------------------------------------------------------

def test_only_change_managers_run_the_workflow(agent, change_manager):
    change = make_change(agent)

    refused = step(client_of(agent), change, "assess", expected_status=403)
    assessed = step(client_of(change_manager), change, "assess")

    assert refused["error"]["code"] == "forbidden" or refused["error"]
    assert assessed["state"] == "assessment"


def test_a_step_from_the_wrong_state_is_a_conflict(agent, change_manager):
    change = make_change(agent)

    body = step(client_of(change_manager), change, "close", expected_status=409)

    assert body["error"]


def test_asking_for_authorisation_needs_the_risk_and_the_three_plans(agent, change_manager):
    change = move(change_manager, make_change(agent), "assess")

    body = step(client_of(change_manager), change, "request_authorisation", expected_status=400,
                data={"implementation_plan": "Do it"})

    fields = body["error"]["fields"]
    assert {"risk", "backout_plan", "test_plan"} <= set(fields) and "implementation_plan" not in fields
    change.refresh_from_db()
    assert change.state == ChangeState.ASSESSMENT


def test_scheduling_needs_the_approval_and_a_window(agent, change_manager):
    approver_for_everything()
    change = under_authorisation(change_manager, agent)

    unapproved = step(client_of(change_manager), change, "schedule", expected_status=400,
                      data={k: v.isoformat() for k, v in window(hours_from_now=48).items()})

    assert "state" in unapproved["error"]["fields"]


def test_an_approved_change_is_scheduled_with_its_window_through_the_api(agent, change_manager):
    change = authorised(change_manager, agent, approver_for_everything())
    when = window(hours_from_now=48)

    body = step(client_of(change_manager), change, "schedule",
                data={k: v.isoformat() for k, v in when.items()}, override_reason="")

    assert body["state"] == "scheduled" and body["scheduled_at"]
    assert body["planned_start"].startswith(when["planned_start"].strftime("%Y-%m-%dT%H:%M"))


def test_the_implementer_alone_starts_and_completes_and_the_review_closes_a_failed_change(
        agent, change_manager, make_user):
    other = make_user(Role.AGENT, username="other")
    change = standard_scheduled(change_manager, implementer=agent)

    offered = client_of(other).get(f"{BASE}/{change.pk}/transitions/").json()
    refused = step(client_of(other), change, "start", expected_status=403)
    started = step(client_of(agent), change, "start")
    no_code = step(client_of(agent), change, "complete", expected_status=400)
    completed = step(client_of(agent), change, "complete", data={"close_code": "failed", "close_notes": "Disk"})
    no_review = step(client_of(change_manager), change, "close", expected_status=400)
    closed = step(client_of(change_manager), change, "close", data={"review_notes": "Check the disks first"})

    assert "start" not in [t["name"] for t in offered]
    assert refused["error"]
    assert started["state"] == "implementation" and started["actual_start"]
    assert "close_code" in no_code["error"]["fields"]
    assert completed["state"] == "review" and completed["close_code"] == "failed"
    assert "review_notes" in no_review["error"]["fields"]
    assert closed["state"] == "closed" and closed["reviewed_at"]


def test_starting_before_the_window_is_refused(agent, change_manager):
    team = TeamFactory(members=[agent])
    change = change_create_from_template(actor=change_manager, template=make_template(), schedule=True, data={
        **window(hours_from_now=5), "assignment_group": team, "implementer": agent})

    body = step(client_of(agent), change, "start", expected_status=400)

    assert "planned_start" in body["error"]["fields"]


def test_cancelling_needs_a_reason_and_a_transition_with_if_match_is_checked(agent, change_manager):
    change = make_change(agent)
    client = client_of(change_manager)

    no_reason = step(client, change, "cancel", expected_status=400)
    stale = client.post(f"{BASE}/{change.pk}/transition/", {"transition": "cancel", "data": {"cancel_reason": "x"}},
                        format="json", HTTP_IF_MATCH=f'"{change.pk}-99"')
    cancelled = step(client, change, "cancel", data={"cancel_reason": "Superseded"})

    assert "cancel_reason" in no_reason["error"]["fields"]
    assert stale.status_code == 412
    assert cancelled["state"] == "cancelled" and cancelled["close_code"] == "cancelled"


def test_unknown_step_fields_are_refused(agent, change_manager):
    change = make_change(agent)

    body = step(client_of(change_manager), change, "assess", expected_status=400, data={"risk": "low"})

    assert "data" in body["error"]["fields"] or "risk" in str(body["error"]["fields"])


# --- journal, timeline, comments, attachments -------------------------------------------------------

def test_comments_journal_and_timeline(agent, change_manager):
    change = make_change(agent)
    client = client_of(agent)

    comment = client.post(f"{BASE}/{change.pk}/comments/", {"body": "Vendor confirmed", "internal": True},
                          format="json")
    move(change_manager, Change.objects.get(pk=change.pk), "assess")
    journal = client.get(f"{BASE}/{change.pk}/journal/").json()
    timeline = client.get(f"{BASE}/{change.pk}/timeline/").json()

    assert comment.status_code == 201 and comment.json()["kind"] == "work_note"
    assert "Vendor confirmed" in [entry["body"] for entry in journal["results"]]
    state = next(item for item in timeline if item["kind"] == "state_change")
    assert state["state_from"] == "New" and state["state_to"] == "Assessment"


def test_attachments_are_added_listed_and_downloaded(agent, auditor):
    change = make_change(agent)
    upload = SimpleUploadedFile("plan.txt", b"step one", content_type="text/plain")

    added = client_of(agent).post(f"{BASE}/{change.pk}/attachments/", {"file": upload}, format="multipart")
    listed = client_of(auditor).get(f"{BASE}/{change.pk}/attachments/").json()
    download = client_of(auditor).get(added.json()["download_url"])

    assert added.status_code == 201 and [a["filename"] for a in listed] == ["plan.txt"]
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"step one"


# --- links ---------------------------------------------------------------------------------------------

def test_problems_and_incidents_are_linked_and_unlinked(agent):
    change = make_change(agent)
    problem, incident = make_problem(agent), make_incident(agent)
    client = client_of(agent)

    linked = client.post(f"{BASE}/{change.pk}/problems/", {"problems": [problem.pk]}, format="json")
    again = client.post(f"{BASE}/{change.pk}/problems/", {"problems": [problem.pk]}, format="json")
    caused = client.post(f"{BASE}/{change.pk}/incidents/", {"incidents": [incident.pk]}, format="json")
    listed = client.get(f"{BASE}/{change.pk}/incidents/").json()
    unlinked = client.post(f"{BASE}/{change.pk}/problems/unlink/", {"problem": problem.pk}, format="json")
    not_linked = client.post(f"{BASE}/{change.pk}/problems/unlink/", {"problem": problem.pk}, format="json")

    assert linked.status_code == 201 and [p["number"] for p in linked.json()] == [problem.number]
    assert again.status_code == 201 and again.json() == []
    assert caused.status_code == 201 and [i["number"] for i in listed["results"]] == [incident.number]
    assert unlinked.status_code == 204 and not_linked.status_code == 400
    assert client.get(f"{BASE}/", {"incident": incident.pk}).json()["results"][0]["id"] == change.pk
    assert incident.causing_changes.get() == change


def test_a_cancelled_change_takes_caused_incidents_but_no_problems(agent, change_manager):
    change = move(change_manager, make_change(agent), "cancel", cancel_reason="Not needed")
    client = client_of(agent)

    problem = client.post(f"{BASE}/{change.pk}/problems/", {"problems": [make_problem(agent).pk]}, format="json")
    incident = client.post(f"{BASE}/{change.pk}/incidents/", {"incidents": [make_incident(agent).pk]},
                           format="json")

    assert problem.status_code == 400 and incident.status_code == 201


# --- the list ----------------------------------------------------------------------------------------------

def test_the_list_filters_like_the_page(agent, change_manager):
    mail = make_service(name="Mail")
    by_service = make_change(agent, short_description="Mail relay patch", services=[mail])
    emergency = make_change(change_manager, short_description="Hotfix", change_model="emergency")
    client = client_of(change_manager)

    assert [c["id"] for c in client.get(f"{BASE}/", {"service": mail.pk}).json()["results"]] == [by_service.pk]
    assert [c["id"] for c in client.get(f"{BASE}/", {"change_model": "emergency"}).json()["results"]] \
        == [emergency.pk]
    assert [c["id"] for c in client.get(f"{BASE}/", {"queue": "mine"}).json()["results"]] == [emergency.pk]
    assert client.get(f"{BASE}/", {"planned_from": "soon"}).status_code == 400
    assert client.get(f"{BASE}/", {"no_such_filter": "1"}).status_code == 400


def test_the_list_costs_the_same_queries_for_few_and_many_changes(agent, django_assert_max_num_queries):
    team = TeamFactory(members=[agent])
    make_change(agent, assignment_group=team, implementer=agent, services=[make_service()], cis=[make_ci()])
    client = client_of(agent)
    with CaptureQueriesContext(connection) as few:
        client.get(f"{BASE}/")
    few = len(few)
    for n in range(30):
        make_change(agent, short_description=f"Change {n}", assignment_group=team, implementer=agent,
                    services=[make_service()], cis=[make_ci()], problems=[make_problem(agent)])

    with django_assert_max_num_queries(few):
        response = client.get(f"{BASE}/")
    assert response.json()["count"] == 31
