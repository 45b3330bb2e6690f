"""The schedule API: windows, a change's conflicts and their re-check, scheduling with an override
reason, the calendar's events (the rules are the services': tests/changes/test_conflicts_services.py)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changes.choices import ChangeState
from changes.models import ScheduleWindow
from itsm.choices import Role
from tests.changes.factories_catalogue import make_template
from tests.changes.factories_schedule import hours, make_window, occupying, standard_change
from tests.config_items.factories import make_ci, make_service

pytestmark = pytest.mark.django_db

WINDOWS = "/api/v1/changes/windows/"


@pytest.fixture
def admin_api(token_client, admin_user):
    return token_client(admin_user)


@pytest.fixture
def manager_api(token_client, change_manager):
    return token_client(change_manager)


def iso(value) -> str:
    return value.isoformat()


# --- windows --------------------------------------------------------------------------------------

def test_an_administrator_creates_and_edits_a_window(admin_api):
    service = make_service(name="Payroll")
    response = admin_api.post(WINDOWS, {
        "kind": "maintenance", "name": "Saturday night", "service": service.pk, "start": "2030-01-05T22:00:00+01:00",
        "end": "2030-01-06T02:00:00+01:00", "rrule": "FREQ=WEEKLY;BYDAY=SA", "time_zone": "Europe/Berlin"},
        format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind_label"], body["service"]["name"], body["start"], body["version"]) == (
        "Maintenance window", "Payroll", "2030-01-05T21:00:00Z", 1)

    stale = admin_api.patch(f"{WINDOWS}{body['id']}/", {"is_active": False}, format="json", HTTP_IF_MATCH='"0"')
    assert stale.status_code == 412
    etag = admin_api.get(f"{WINDOWS}{body['id']}/")["ETag"]
    edited = admin_api.patch(f"{WINDOWS}{body['id']}/", {"is_active": False}, format="json", HTTP_IF_MATCH=etag)
    assert (edited.status_code, edited.json()["is_active"]) == (200, False)


def test_a_bad_rule_is_a_400_naming_it(admin_api):
    response = admin_api.post(WINDOWS, {"kind": "blackout", "name": "Freeze", "start": "2030-12-20T00:00:00Z",
                                        "end": "2031-01-03T00:00:00Z", "rrule": "FREQ=SECONDLY"}, format="json")

    assert response.status_code == 400
    assert "rrule" in response.json()["error"]["fields"]
    assert not ScheduleWindow.objects.exists()


def test_staff_read_windows_and_filter_them(token_client, agent, auditor):
    make_window(name="Freeze")
    make_window(kind="maintenance", name="Nights", ci=make_ci())

    for person in (agent, auditor):
        body = token_client(person).get(f"{WINDOWS}?kind=maintenance").json()
        assert [w["name"] for w in body["results"]] == ["Nights"]


def test_change_managers_may_not_write_windows(manager_api):
    response = manager_api.post(WINDOWS, {"kind": "blackout", "name": "Freeze", "start": "2030-12-20T00:00:00Z",
                                          "end": "2031-01-03T00:00:00Z"}, format="json")

    assert response.status_code == 403


# --- conflicts and scheduling ---------------------------------------------------------------------

def test_scheduling_into_a_blackout_needs_a_reason_through_the_api(manager_api, change_manager):
    start, end = hours(24)
    make_window(name="Payroll freeze", start=start, end=end)
    change = standard_change(change_manager, cis=[make_ci()], template=make_template())
    url = f"/api/v1/changes/schedule/{change.pk}/"
    window = {"planned_start": iso(start), "planned_end": iso(end)}

    refused = manager_api.post(url, window, format="json")

    assert refused.status_code == 400, refused.content
    assert "Payroll freeze" in refused.json()["error"]["fields"]["override_reason"][0]
    change.refresh_from_db()
    assert change.state == ChangeState.NEW

    accepted = manager_api.post(url, {**window, "override_reason": "Statutory deadline"}, format="json")

    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert (body["state"], body["may_schedule"], body["conflict_override_reason"]) == (
        "scheduled", True, "Statutory deadline")
    [conflict] = body["conflicts"]
    assert (conflict["kind"], conflict["policy"], conflict["override_reason"]) == (
        "blackout", "override", "Statutory deadline")
    assert conflict["overridden_by"]["id"] == change_manager.pk


def test_an_agent_may_not_take_the_change_managers_schedule_step(token_client, agent, change_manager):
    start, end = hours(24)
    change = occupying(change_manager, cis=[make_ci()], start=start, end=end, state="authorisation")

    response = token_client(agent).post(f"/api/v1/changes/schedule/{change.pk}/", {
        "planned_start": iso(start), "planned_end": iso(end)}, format="json")

    assert response.status_code == 403


def test_a_malformed_window_is_a_400_naming_it(manager_api, change_manager):
    change = standard_change(change_manager, cis=[make_ci()], template=make_template())

    response = manager_api.post(f"/api/v1/changes/schedule/{change.pk}/", {
        "planned_start": "next Tuesday", "planned_end": "2030-01-01T02:00:00Z"}, format="json")

    assert response.status_code == 400
    assert "planned_start" in response.json()["error"]["fields"]


def test_conflicts_are_read_and_rechecked_through_the_api(token_client, auditor, manager_api, change_manager):
    host = make_ci(name="erp-db", type_slug="server")
    start, end = hours(24)
    change = standard_change(change_manager, cis=[host], start=start, end=end, template=make_template(),
                             schedule=True)
    url = f"/api/v1/changes/conflicts/{change.pk}/"
    assert token_client(auditor).get(url).json()["conflicts"] == []

    other = occupying(change_manager, cis=[host], start=start, end=end)
    rechecked = manager_api.post(f"{url}recheck/")

    assert rechecked.status_code == 200
    [conflict] = rechecked.json()["conflicts"]
    assert (conflict["kind"], conflict["other_change"]["number"], conflict["ci"]["name"]) == (
        "same_ci", other.number, "erp-db")
    assert rechecked.json()["may_schedule"] is False
    assert token_client(auditor, read_only=False).post(f"{url}recheck/").status_code == 403


# --- the calendar ---------------------------------------------------------------------------------

def test_the_calendar_events_of_a_range_with_windows_shaded(token_client, agent, change_manager):
    start, end = hours(24)
    change = occupying(change_manager, cis=[make_ci()], start=start, end=end, short_description="Swap the UPS")
    window = make_window(name="Freeze", start=start, end=end)
    query = {"start": iso(start - timedelta(days=3)), "end": iso(start + timedelta(days=3))}

    body = token_client(agent).get("/api/v1/changes/calendar/events/", query).json()

    ms = (int(start.timestamp() * 1000), int(end.timestamp() * 1000))
    assert body["changes"] == [[change.pk, change.number, "Swap the UPS", "scheduled", "", "emergency", *ms]]
    assert body["windows"] == [[window.pk, "Freeze", "blackout", "", *ms]]
    assert body["columns"]["changes"] == ["id", "number", "short_description", "state", "risk", "change_model",
                                          "start", "end"]
    assert body["labels"]["state"]["scheduled"] == "Scheduled"
    assert body["change_url"].replace("{id}", str(change.pk)) == f"/changes/{change.pk}/"
    assert body["truncated"] is False


def test_the_calendar_range_is_bounded(token_client, agent):
    start, _end = hours(0)

    response = token_client(agent).get("/api/v1/changes/calendar/events/", {
        "start": iso(start), "end": iso(start + timedelta(days=120))})

    assert response.status_code == 400
    assert "end" in response.json()["error"]["fields"]


def test_the_calendar_reads_a_range_in_constant_queries(client, make_user, change_manager):
    reader = make_user(Role.AGENT, username="reader")
    client.force_login(reader)
    start, end = hours(24)
    query = {"start": iso(start - timedelta(days=3)), "end": iso(start + timedelta(days=30)),
             "service": make_service().pk}

    def queries(count: int) -> int:
        for n in range(count):
            occupying(change_manager, cis=[make_ci()], start=start + timedelta(days=n), end=end + timedelta(days=n))
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/changes/calendar/events/", query).status_code == 200
        return len(captured)

    assert queries(1) == queries(5)


def test_a_change_manager_overrides_conflicts_found_since_scheduling(manager_api, token_client, agent,
                                                                      change_manager):
    host = make_ci(type_slug="server")
    start, end = hours(24)
    change = standard_change(change_manager, cis=[host], start=start, end=end, template=make_template(),
                             schedule=True)
    occupying(change_manager, cis=[host], start=start, end=end)
    url = f"/api/v1/changes/conflicts/{change.pk}/"
    manager_api.post(f"{url}recheck/")

    assert token_client(agent).post(f"{url}override/", {"reason": "x"}, format="json").status_code == 403
    assert manager_api.post(f"{url}override/", {"reason": ""}, format="json").status_code == 400
    response = manager_api.post(f"{url}override/", {"reason": "Coordinated with its implementer"}, format="json")

    assert response.status_code == 200
    assert response.json()["may_schedule"] is True
    assert response.json()["conflicts"][0]["override_reason"] == "Coordinated with its implementer"
