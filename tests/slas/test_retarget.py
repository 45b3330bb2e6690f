"""Issue 17, defects 2 and 3: re-targeting moves the timer to the new target's calendar (its
current version), recounts as SLA_RETARGET_RECOUNT says, and breaches at once, at the instant
it was crossed, a new goal that is already exceeded."""

from datetime import UTC, datetime, timedelta

import pytest

from itsm.services import system_actor
from slas import services
from slas.models import Timer
from tests.kernel_app.factories import make_ticket
from tests.slas.conftest import ACTIONS

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
MONDAY_9 = datetime(2026, 11, 30, 9, tzinfo=UTC)
OFFICE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []}
URL = "/api/v1/slas"


@pytest.fixture
def office(db):
    return services.calendar_create(actor=system_actor(), data={"name": "Office 9-17", "time_zone": "UTC",
                                                                "weekly_hours": OFFICE})


def _p3_raised_to_p1_at_night(make_target, office, always, p1_goal):
    """A P3 ticket logged Monday 09:00 on office hours, raised to P1 (24×7) at 20:00."""
    make_target(goal=16 * H, calendar=office, name="P3 office hours")
    make_target(goal=p1_goal, calendar=always, name="P1 round the clock", priorities=[1])
    ticket = make_ticket()
    ticket.created_at = MONDAY_9
    services.timers_sync(ticket, cause="logged", now=MONDAY_9)
    ticket.sla_priority = 1
    [timer] = [t for t in services.timers_sync(ticket, cause="raised to P1", now=MONDAY_9 + 11 * H)
               if t.metric == "resolution"]
    return timer


def test_a_retarget_counts_on_the_new_targets_calendar_from_the_change(make_target, office, always, api, agent):
    timer = _p3_raised_to_p1_at_night(make_target, office, always, p1_goal=12 * H)

    # 8 office hours counted on Monday; the 4 h left run through the night on 24×7.
    assert timer.elapsed == 8 * H
    assert timer.due_at == MONDAY_9 + 15 * H
    api.force_authenticate(agent)
    read = api.get(f"{URL}/timers/{timer.pk}/").json()
    assert (read["calendar"], read["calendar_version"]) == (always.pk, 1)
    retarget = next(e for e in read["events"] if e["kind"] == "retarget")
    assert {k: retarget["data"][k] for k in ("from_calendar", "from_calendar_version", "to_calendar",
                                             "to_calendar_version", "recount")} == {
        "from_calendar": office.pk, "from_calendar_version": 1, "to_calendar": always.pk,
        "to_calendar_version": 1, "recount": "change"}
    from slas.explain import event_detail

    assert event_detail(timer.events.get(kind="retarget")).endswith(
        f"calendar #{office.pk} v1 → #{always.pk} v1")


def test_a_retroactive_retarget_recounts_from_the_start_on_the_new_calendar(make_target, office, always, settings):
    settings.SLA_RETARGET_RECOUNT = "start"
    timer = _p3_raised_to_p1_at_night(make_target, office, always, p1_goal=12 * H)

    assert timer.elapsed == 11 * H  # 09:00 to 20:00 round the clock
    assert timer.due_at == MONDAY_9 + 12 * H
    assert timer.calendar_version.calendar_id == always.pk
    retarget = timer.events.get(kind="retarget")
    assert (retarget.data["elapsed_before"], retarget.elapsed) == (8 * 3600, 11 * H)


def test_a_new_goal_already_exceeded_is_breached_at_once_where_it_was_crossed(make_target, office, always, api,
                                                                              agent):
    timer = _p3_raised_to_p1_at_night(make_target, office, always, p1_goal=4 * H)

    # Breached in the re-target's own transaction, at 13:00 (8 office hours counted, 4 h goal).
    assert (timer.state, timer.breached_at) == ("breached", MONDAY_9 + 4 * H)
    services.timers_sweep(now=MONDAY_9 + 11 * H + timedelta(seconds=5))  # escalates, records no more

    api.force_authenticate(agent)
    events = api.get(f"{URL}/timers/{timer.pk}/").json()["events"]
    assert [(e["kind"], e["data"].get("percent")) for e in events] == [
        ("start", None), ("threshold", 50), ("threshold", 75), ("threshold", 90), ("breach", None),
        ("retarget", None)]
    assert [e["at"] for e in events[1:5]] == ["2026-11-30T11:00:00Z", "2026-11-30T12:00:00Z",
                                              "2026-11-30T12:36:00Z", "2026-11-30T13:00:00Z"]
    timer = Timer.objects.get(pk=timer.pk)
    assert sorted(timer.escalations.filter(action="record").values_list("threshold", flat=True)) == [50, 75, 90, 100]
    assert [a[2] for a in ACTIONS] == sorted(a[2] for a in ACTIONS) and {a[2] for a in ACTIONS} >= {100}
