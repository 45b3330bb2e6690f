"""Pausing by reason (issue 17): a target may pause only while an incident awaits its caller (a
requester-wait metric) and keep running while it awaits a vendor; the timer says which reason
paused it. Through the API: the target, the incident's steps and the timer read."""

import pytest

from tests.assertions import assert_nothing_written

pytestmark = pytest.mark.django_db
SLAS = "/api/v1/slas"
INCIDENTS = "/api/v1/incidents"


@pytest.fixture
def caller_wait_target(api, admin_user, always, agreement):
    api.force_authenticate(admin_user)
    answer = api.post(f"{SLAS}/targets/", {
        "agreement": agreement.pk, "name": "Resolution (caller waits excluded)", "metric": "resolution",
        "record_type": "incident", "goal": "08:00:00", "calendar": always.pk,
        "pause_states": ["on_hold:awaiting_caller"]}, format="json")
    assert answer.status_code == 201, answer.json()
    return answer.json()


def step(api, incident, name, **data):
    answer = api.post(f"{INCIDENTS}/{incident['id']}/transition/", {"transition": name, "data": data}, format="json")
    assert answer.status_code == 200, answer.json()
    return answer.json()


def resolution_timer(api, incident):
    timers = api.get(f"{SLAS}/timers/", {"record_type": "incident", "object_id": incident["id"]}).json()["results"]
    return next(t for t in timers if t["metric"] == "resolution")


def test_a_target_pauses_for_the_caller_but_runs_while_a_vendor_is_awaited(api, agent, caller_wait_target):
    api.force_authenticate(agent)
    incident = api.post(f"{INCIDENTS}/", {"short_description": "VPN drops", "contact_name": "Kim"},
                        format="json").json()

    step(api, incident, "hold", on_hold_reason="awaiting_vendor")
    on_vendor = resolution_timer(api, incident)
    step(api, incident, "resume")
    step(api, incident, "hold", on_hold_reason="awaiting_caller")
    on_caller = resolution_timer(api, incident)
    step(api, incident, "resume")
    resumed = resolution_timer(api, incident)

    assert on_vendor["state"] == "running"
    assert on_caller["state"] == "paused" and on_caller["pause_reason"] == "Awaiting caller"
    assert resumed["state"] == "running"


def test_pause_entries_name_a_state_or_a_state_with_one_of_its_reasons(api, admin_user, always, agreement):
    api.force_authenticate(admin_user)
    base = {"agreement": agreement.pk, "name": "x", "metric": "resolution", "record_type": "incident",
            "goal": "01:00:00", "calendar": always.pk}

    with assert_nothing_written():
        unknown = api.post(f"{SLAS}/targets/", {**base, "pause_states": ["on_hold:awaiting_godot"]}, format="json")
    whole_state = api.post(f"{SLAS}/targets/", {**base, "pause_states": ["on_hold"]}, format="json")

    assert unknown.status_code == 400 and "pause_states" in unknown.json()["error"]["fields"]
    assert whole_state.status_code == 201
