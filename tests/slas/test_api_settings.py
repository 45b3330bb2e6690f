"""The SLA API beyond calendars: agreements (If-Match like every record), targets (PATCH
writes the next version), timers with their explanation and breaches (read-only), lists in
a constant number of queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.services import system_actor
from slas import services
from slas.models import Agreement, Target, Timer
from tests.assertions import assert_nothing_written
from tests.config_items.factories import make_service
from tests.incidents.factories import make_incident
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import TicketState

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
URL = "/api/v1/slas"


def test_administrators_create_and_update_agreements_with_if_match(api, admin_user, agent):
    service = make_service(name="Email", catalogue_status="live")
    api.force_authenticate(agent)
    assert api.post(f"{URL}/agreements/", {"name": "Gold", "valid_from": "2026-01-01"},
                    format="json").status_code == 403

    api.force_authenticate(admin_user)
    created = api.post(f"{URL}/agreements/", {"name": "Gold", "valid_from": "2026-01-01",
                                              "services": [service.pk]}, format="json")
    pk = created.json()["id"]
    no_precondition = api.patch(f"{URL}/agreements/{pk}/", {"name": "Platinum"}, format="json")
    updated = api.patch(f"{URL}/agreements/{pk}/", {"name": "Platinum"}, format="json",
                        HTTP_IF_MATCH=created["ETag"])
    stale = api.patch(f"{URL}/agreements/{pk}/", {"name": "Silver"}, format="json", HTTP_IF_MATCH=created["ETag"])
    backwards = api.patch(f"{URL}/agreements/{pk}/", {"valid_to": "2025-01-01"}, format="json",
                          HTTP_IF_MATCH=updated["ETag"])

    assert created.status_code == 201 and created.json()["services"] == [service.pk]
    assert no_precondition.status_code == 428
    assert updated.status_code == 200 and updated.json()["name"] == "Platinum"
    assert stale.status_code == 412
    assert backwards.status_code == 400 and "valid_to" in backwards.json()["error"]["fields"]
    assert Agreement.objects.get(pk=pk).name == "Platinum"


def test_patching_a_target_writes_its_next_version(api, admin_user, always, agreement):
    api.force_authenticate(admin_user)
    created = api.post(f"{URL}/targets/", {
        "agreement": agreement.pk, "name": "Resolution", "metric": "resolution", "record_type": "ticket",
        "goal": "04:00:00", "calendar": always.pk, "priorities": [1, 2], "pause_states": ["in_progress"],
        "escalations": [{"percent": 50, "actions": [{"kind": "notify_assignee"}]},
                        {"percent": 100, "actions": [{"kind": "raise_priority"}]}]}, format="json")
    first = created.json()["id"]

    patched = api.patch(f"{URL}/targets/{first}/", {"goal": "02:00:00"}, format="json")
    old = api.patch(f"{URL}/targets/{first}/", {"goal": "01:00:00"}, format="json")
    history = api.get(f"{URL}/targets/", {"lineage": created.json()["lineage"]}).json()["results"]

    assert created.status_code == 201, created.json()
    assert patched.status_code == 200
    assert (patched.json()["version"], patched.json()["goal"], patched.json()["is_current"]) == (2, "02:00:00", True)
    assert patched.json()["priorities"] == [1, 2] and patched.json()["escalations"][1]["percent"] == 100
    assert old.status_code == 400
    assert [(t["version"], t["is_current"]) for t in history] == [(2, True), (1, False)]


def test_targets_refuse_unknown_record_types_states_and_actions(api, admin_user, always, agreement):
    api.force_authenticate(admin_user)
    base = {"agreement": agreement.pk, "name": "x", "metric": "response", "goal": "01:00:00",
            "calendar": always.pk}

    with assert_nothing_written():
        kind = api.post(f"{URL}/targets/", {**base, "record_type": "spaceship"}, format="json")
        state = api.post(f"{URL}/targets/", {**base, "record_type": "ticket", "pause_states": ["asleep"]},
                         format="json")
        action = api.post(f"{URL}/targets/", {**base, "record_type": "ticket",
                                              "escalations": [{"percent": 50, "actions": [{"kind": "shout"}]}]},
                          format="json")

    assert [r.status_code for r in (kind, state, action)] == [400, 400, 400]
    assert "record_type" in kind.json()["error"]["fields"]
    assert "pause_states" in state.json()["error"]["fields"]


def breached_ticket(make_target):
    ticket = make_ticket()
    services.timers_sync(ticket, cause="created", now=ticket.created_at)
    ticket.state = TicketState.RESOLVED
    ticket.save()
    ticket.updated_at = ticket.created_at + 5 * H  # resolved five hours in (the facts' resolution instant)
    services.timers_sync(ticket, cause="resolved", now=ticket.created_at + 5 * H)
    return ticket


def test_a_timer_explains_its_clock_in_order(api, agent, make_target):
    make_target(goal=4 * H)
    ticket = breached_ticket(make_target)
    api.force_authenticate(agent)

    listing = api.get(f"{URL}/timers/", {"record_type": "ticket", "object_id": ticket.pk}).json()["results"]
    detail = api.get(f"{URL}/timers/{listing[0]['id']}/").json()

    assert [(t["record_type"], t["record_number"], t["state"]) for t in listing] == [
        ("ticket", ticket.number, "breached")]
    assert [event["kind"] for event in detail["events"]] == ["start", "breach", "stop"]
    assert detail["events"][0]["cause"] == "created"
    assert detail["events"][-1]["elapsed"] == "05:00:00"


def test_timers_and_breaches_are_read_only_and_filtered(api, admin_user, requester, make_target):
    make_target(goal=4 * H)
    late = breached_ticket(make_target)
    on_time = make_ticket()
    services.timers_sync(on_time, cause="created", now=on_time.created_at)
    api.force_authenticate(admin_user)

    breached = api.get(f"{URL}/timers/", {"breached": "true"}).json()["results"]
    running = api.get(f"{URL}/timers/", {"state": "running"}).json()["results"]
    breaches = api.get(f"{URL}/breaches/").json()["results"]
    write = api.post(f"{URL}/timers/", {}, format="json")
    unknown = api.get(f"{URL}/timers/", {"colour": "red"})
    api.force_authenticate(requester)
    refused = api.get(f"{URL}/timers/")

    assert [t["record_number"] for t in breached] == [late.number]
    assert [t["record_number"] for t in running] == [on_time.number]
    assert [(b["record_number"], b["breached_at"] is not None) for b in breaches] == [(late.number, True)]
    assert write.status_code == 403  # nobody writes timers through the API
    assert unknown.status_code == 400
    assert refused.status_code == 403


def test_timers_and_breaches_take_the_dashboards_service_and_priority_filters(api, admin_user, make_target):
    make_target(goal=4 * H)
    first, second = breached_ticket(make_target), breached_ticket(make_target)
    service = make_service(name="Email")
    # the engine copies these from the record (Facts); the test Ticket has neither
    Timer.objects.filter(object_id=first.pk).update(priority=2, service_id_snapshot=service.pk)
    Timer.objects.filter(object_id=second.pk).update(priority=4)
    api.force_authenticate(admin_user)

    def numbers(path, **query):
        return [t["record_number"] for t in api.get(f"{URL}/{path}/", query).json()["results"]]

    assert numbers("breaches", service=service.pk) == [first.number]
    assert numbers("breaches", priority=4) == [second.number]
    assert numbers("timers", priority=2, service=service.pk) == [first.number]
    assert numbers("timers", priority=3) == []


def test_lists_take_a_constant_number_of_queries(api, agent, admin_user, make_target, agreement, always):
    make_target(goal=4 * H)
    services.target_create(actor=system_actor(), data={
        "agreement": agreement, "name": "Incidents", "metric": "resolution", "record_type": "incident",
        "goal": 4 * H, "calendar": always})
    api.force_authenticate(agent)

    def counts():
        queries = {}
        for path in ("timers", "breaches", "agreements", "targets"):
            with CaptureQueriesContext(connection) as captured:
                assert api.get(f"{URL}/{path}/").status_code == 200
            queries[path] = len(captured)
        return queries

    breached_ticket(make_target)
    make_incident(admin_user)
    services.agreement_create(actor=system_actor(), data={"name": "Silver", "valid_from": date(2026, 1, 1),
                                                          "services": [make_service(catalogue_status="live")]})
    counts()  # content types and sessions cached, as in a running server
    few = counts()
    for _ in range(3):
        breached_ticket(make_target)
        make_incident(admin_user)
        services.agreement_create(actor=system_actor(), data={"name": "Bronze", "valid_from": date(2026, 1, 1),
                                                              "services": [make_service(catalogue_status="live")]})
    many = counts()

    assert len(api.get(f"{URL}/timers/").json()["results"]) == 8
    assert many == few


def test_recompute_moves_live_timers_to_the_current_target_version(api, admin_user, make_target):
    target = make_target(goal=4 * H)
    ticket = make_ticket()
    services.timers_sync(ticket, cause="created", now=ticket.created_at)
    services.target_update(actor=system_actor(), target=target, data={"goal": 2 * H})
    api.force_authenticate(admin_user)

    no_reason = api.post(f"{URL}/targets/{target.pk}/recompute/", {"reason": ""}, format="json")
    done = api.post(f"{URL}/targets/{target.pk}/recompute/", {"reason": "Contract renewed"}, format="json")
    again = api.post(f"{URL}/targets/{target.pk}/recompute/", {"reason": "Contract renewed"}, format="json")
    timer = api.get(f"{URL}/timers/", {"record_type": "ticket", "object_id": ticket.pk}).json()["results"][0]
    events = api.get(f"{URL}/timers/{timer['id']}/").json()["events"]

    assert no_reason.status_code == 400
    assert done.json() == {"recomputed": 1}
    assert again.json() == {"recomputed": 0}
    assert (timer["target_version"], timer["goal"]) == (2, "02:00:00")
    assert events[-1]["kind"] == "recompute" and events[-1]["cause"] == "Contract renewed"
    assert events[-1]["data"]["before"]["target_version"] == 1


def test_recompute_records_the_live_elapsed_time_as_before_not_the_stored_one(api, admin_user, make_target):
    from django.utils import timezone

    target = make_target(goal=4 * H)
    ticket = make_ticket()
    ticket.created_at = timezone.now() - 2 * H
    services.timers_sync(ticket, cause="created", now=ticket.created_at)  # stored elapsed: 0, counted then
    services.target_update(actor=system_actor(), target=target, data={"goal": 3 * H})
    api.force_authenticate(admin_user)

    assert api.post(f"{URL}/targets/{target.pk}/recompute/", {"reason": "New contract"},
                    format="json").json() == {"recomputed": 1}
    timer = api.get(f"{URL}/timers/", {"record_type": "ticket", "object_id": ticket.pk}).json()["results"][0]
    recompute = api.get(f"{URL}/timers/{timer['id']}/").json()["events"][-1]

    assert recompute["kind"] == "recompute"
    assert 2 * 3600 <= recompute["data"]["before"]["elapsed"] < 2 * 3600 + 60
    assert recompute["data"]["before"]["elapsed"] <= recompute["data"]["after"]["elapsed"]


def test_closed_days_are_imported_through_the_api(api, admin_user):
    from tests.slas.test_icalendar import HOLIDAYS_ICS

    always = services.calendar_create(actor=system_actor(), data={  # the built-in 24×7 is immutable
        "name": "Round the clock", "weekly_hours": {d: [["00:00", "24:00"]] for d in
                                                    ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}})
    api.force_authenticate(admin_user)

    imported = api.post(f"{URL}/calendars/{always.pk}/import/", {"content": HOLIDAYS_ICS.decode()}, format="json")
    bad = api.post(f"{URL}/calendars/{always.pk}/import/", {"content": "nonsense"}, format="json")

    assert imported.status_code == 200
    assert imported.json()["imported"] == 3
    assert bad.status_code == 400 and "file" in bad.json()["error"]["fields"]
    assert always.days.count() == 3


def test_a_target_patch_with_a_stale_if_match_is_refused(api, admin_user, make_target):
    target = make_target(goal=4 * H)
    api.force_authenticate(admin_user)
    etag = api.get(f"{URL}/targets/{target.pk}/")["ETag"]
    api.patch(f"{URL}/targets/{target.pk}/", {"goal": "03:00:00"}, format="json", HTTP_IF_MATCH=etag)
    current = Target.objects.get(lineage=target.lineage, is_current=True)

    stale = api.patch(f"{URL}/targets/{current.pk}/", {"goal": "02:00:00"}, format="json", HTTP_IF_MATCH=etag)

    assert stale.status_code == 412
    assert Target.objects.filter(lineage=target.lineage).count() == 2
