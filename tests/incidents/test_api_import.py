"""Historical import: POST /api/v1/incidents/import/ and `manage.py import_incidents`."""

import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from incidents.models import Incident
from itsm.models import JournalEntry
from tests.assertions import assert_nothing_written
from tests.config_items.factories import make_ci, make_service
from tests.incidents.factories import make_team_with

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/import/"


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def admin_api(api, admin_user):
    api.force_authenticate(admin_user)
    return api


@pytest.fixture
def old_world(make_user):
    """What the rows name: a caller, a team with its member, a service and a CI."""
    caller = make_user("requester", username="alice")
    engineer = make_user("agent", username="bob")
    team = make_team_with(engineer, name="Network")
    return {"caller": caller, "engineer": engineer, "team": team,
            "service": make_service(name="Mail"), "ci": make_ci(name="mx01")}


def closed_row(old_world, **extra):
    return {
        "external_id": "OLD-1001", "short_description": "Mail bounced", "caller": "alice",
        "assignment_group": "Network", "assignee": "bob", "service": old_world["service"].number,
        "cis": old_world["ci"].number, "category": "Network", "subcategory": "DNS", "impact": "2", "urgency": "2",
        "state": "closed", "resolution_code": "solved_permanently", "resolution_notes": "MX record fixed",
        "opened_at": "2024-03-01T09:00:00Z", "first_response_at": "2024-03-01T09:20:00Z",
        "resolved_at": "2024-03-01T15:00:00Z", "closed_at": "2024-03-04T15:00:00Z",
        "updated_at": "2024-03-04T15:00:00Z", **extra,
    }


def test_an_administrator_imports_a_closed_incident_with_its_original_dates(admin_api, admin_user, old_world):
    response = admin_api.post(URL, [closed_row(old_world)], format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    incident = Incident.objects.get()
    assert body == {"dry_run": False, "written": True, "errors": [],
                    "created": [{"line": 1, "external_id": "OLD-1001", "number": incident.number}]}
    assert incident.number.startswith("INC") and incident.external_id == "OLD-1001"
    assert (incident.state, incident.resolution_code, incident.priority) == ("closed", "solved_permanently", 3)
    assert (incident.opened_at, incident.resolved_at, incident.closed_at) == (
        utc(2024, 3, 1, 9), utc(2024, 3, 1, 15), utc(2024, 3, 4, 15))
    assert (incident.created_at, incident.updated_at) == (utc(2024, 3, 1, 9), utc(2024, 3, 4, 15))
    assert (incident.caller, incident.assignee, incident.assignment_group) == (
        old_world["caller"], old_world["engineer"], old_world["team"])
    assert (str(incident.category), str(incident.subcategory)) == ("Network", "Network / DNS")
    assert list(incident.cis.all()) == [old_world["ci"]]
    # One row for the incident, one for its CIs (history of the many-to-many): both say who imported it.
    assert [(h.history_type, h.history_change_reason) for h in incident.history.order_by("history_id")] == [
        ("+", "imported by admin from API"), ("~", "imported by admin from API")]
    assert list(JournalEntry.objects.filter(object_id=incident.pk).values_list("kind", "body")) == [
        ("system", "Imported by admin from API (external ID OLD-1001)")]


def test_an_outside_caller_is_kept_as_the_contact_name(admin_api, old_world):
    row = {"external_id": "OLD-7", "short_description": "Kiosk frozen", "caller": "Reception desk",
           "opened_at": "2024-01-02 08:00:00", "state": "new"}

    response = admin_api.post(URL, [row], format="json")

    assert response.status_code == 201, response.json()
    incident = Incident.objects.get(external_id="OLD-7")
    assert (incident.caller, incident.contact_name, incident.state) == (None, "Reception desk", "new")


def test_bad_rows_are_refused_by_line_and_nothing_is_written(admin_api, old_world):
    rows = [
        closed_row(old_world),
        closed_row(old_world, external_id="OLD-1002", assignee="nobody", opened_at="yesterday"),
        closed_row(old_world, external_id="OLD-1001"),  # the first row's number again
        closed_row(old_world, external_id="OLD-1003", state="resolved", resolved_at="", closed_at=""),
    ]

    with assert_nothing_written():
        response = admin_api.post(URL, rows, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "line 2": ["opened_at: “yesterday” is not a date and time (ISO 8601).", "assignee: Unknown user “nobody”."],
        "line 3": ["external_id: An incident with external ID OLD-1001 was already imported."],
        "line 4": ["resolved_at: A resolved or closed incident needs its resolution instant."],
    }


def test_a_dry_run_reports_and_writes_nothing(admin_api, old_world):
    with assert_nothing_written():
        response = admin_api.post(f"{URL}?dry_run=1", [closed_row(old_world)], format="json")

    assert response.status_code == 200
    assert (response.json()["dry_run"], response.json()["written"], len(response.json()["created"])) == (
        True, False, 1)


def test_a_csv_upload_is_imported_and_lines_count_from_the_header(admin_api, old_world):
    csv_text = ("external_id,short_description,caller,opened_at,state,on_hold_reason\n"
                "OLD-1,Printer offline,alice,2024-05-01T10:00:00+02:00,on_hold,awaiting_vendor\n"
                "OLD-2,Scanner offline,alice,2024-05-01T11:00:00+02:00,on_hold,\n")
    upload = SimpleUploadedFile("old-tool.csv", csv_text.encode(), content_type="text/csv")

    refused = admin_api.post(URL, {"file": upload}, format="multipart")
    fixed = csv_text.replace("on_hold,\n", "on_hold,awaiting_caller\n")
    accepted = admin_api.post(URL, {"file": SimpleUploadedFile("old-tool.csv", fixed.encode())}, format="multipart")

    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"line 3": ["on_hold_reason: An incident on hold needs the "
                                                            "on-hold reason."]}
    assert accepted.status_code == 201, accepted.json()
    assert [row["line"] for row in accepted.json()["created"]] == [2, 3]
    incident = Incident.objects.get(external_id="OLD-1")
    assert incident.opened_at == utc(2024, 5, 1, 8)
    assert incident.history.get().history_change_reason == "imported by admin from API upload old-tool.csv"


def test_a_json_file_upload_is_imported_like_a_json_body(admin_api, old_world):
    upload = SimpleUploadedFile("old-tool.json", json.dumps([closed_row(old_world)]).encode())

    response = admin_api.post(URL, {"file": upload, "dry_run": "false"}, format="multipart")

    assert response.status_code == 201, response.json()
    incident = Incident.objects.get(external_id="OLD-1001")
    assert response.json()["created"] == [{"line": 1, "external_id": "OLD-1001", "number": incident.number}]
    assert incident.state == "closed"


def test_a_wrong_header_is_refused_as_line_1(admin_api):
    upload = SimpleUploadedFile("old.csv", b"id,title\n1,x\n")

    response = admin_api.post(URL, {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["file"] == [
        "Line 1 (header): unknown columns: id, title; missing columns: external_id, short_description, opened_at."]


def test_only_administrators_import(api, team_lead, auditor, old_world):
    for user in (team_lead, auditor):
        api.force_authenticate(user)
        with assert_nothing_written():
            assert api.post(URL, [closed_row(old_world)], format="json").status_code == 403


# --- the command ----------------------------------------------------------------------------------

def test_the_command_imports_a_json_file_as_the_named_user(tmp_path, admin_user, old_world):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([closed_row(old_world)]))
    out = StringIO()

    call_command("import_incidents", str(path), "--user", "admin", stdout=out)

    incident = Incident.objects.get()
    assert out.getvalue().splitlines() == [f"{path}:1: OLD-1001 -> {incident.number}", "1 incidents imported."]
    assert {h.history_change_reason for h in incident.history.all()} == {"imported by admin from export.json"}
    assert incident.created_by == admin_user


def test_the_command_exits_non_zero_with_line_numbered_messages_and_writes_nothing(tmp_path, old_world):
    path = tmp_path / "export.csv"
    path.write_text("external_id,short_description,opened_at,caller,assignment_group\n"
                    "OLD-1,Fine,2024-01-01T00:00:00Z,alice,Network\n"
                    "OLD-2,Bad team,2024-01-01T00:00:00Z,alice,Nowhere\n")
    err = StringIO()

    with assert_nothing_written(), pytest.raises(CommandError, match="1 rows refused; nothing was imported"):
        call_command("import_incidents", str(path), stderr=err)

    assert err.getvalue().splitlines() == [f"{path}:3: assignment_group: Unknown team “Nowhere”."]


def test_the_command_dry_run_and_a_user_who_may_not_import(tmp_path, agent, old_world):
    path = tmp_path / "export.csv"
    path.write_text("external_id,short_description,opened_at,caller\nOLD-1,Fine,2024-01-01T00:00:00Z,alice\n")
    out = StringIO()

    with assert_nothing_written():
        call_command("import_incidents", str(path), "--dry-run", stdout=out)
        with pytest.raises(CommandError, match="permission"):
            call_command("import_incidents", str(path), "--user", "agent")

    assert out.getvalue().splitlines()[-1] == "1 incidents checked; dry run: nothing was written."
