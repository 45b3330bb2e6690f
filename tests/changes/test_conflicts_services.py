"""Collision detection (changes.services.conflicts): each kind of conflict found, described and
cleared; the CMDB depth; the policy per kind; overrides; the beat's re-check."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changes.choices import ChangeState
from changes.models import ChangeConflict
from changes.services.conflicts import (
    conflicts_preview,
    conflicts_recheck,
    conflicts_recheck_scheduled,
    conflicts_refresh,
    record_override,
    scheduling_refusal,
)
from changes.services.states import change_transition
from changes.services.windows import window_update
from itsm.exceptions import GuardFailed, NotPermitted
from itsm.models import DomainEvent, JournalEntry
from itsm.workflow import transition_apply
from tests.changes.factories_catalogue import make_template
from tests.changes.factories_schedule import at, hours, make_window, occupying, schedule_admin, standard_change
from tests.config_items.factories import link, make_ci, make_service

pytestmark = pytest.mark.django_db

POLICY = {"same_ci": "override", "related_ci": "warn", "blackout": "override", "outside_maintenance": "warn"}


@pytest.fixture(autouse=True)
def policy(settings):
    settings.CHANGE_CONFLICT_POLICY = dict(POLICY)
    settings.CHANGE_CONFLICT_DEPTH = 2
    return settings


@pytest.fixture
def template():
    return make_template()


def kinds(conflicts) -> list[str]:
    return sorted(c.kind for c in conflicts)


# --- each kind ---------------------------------------------------------------------------------

def test_another_change_on_the_same_ci_overlapping_is_a_conflict_naming_it(change_manager, template):
    host = make_ci(name="mail-host-1", type_slug="server")
    start, end = hours(24)
    other = occupying(change_manager, cis=[host], start=start, end=end, short_description="Replace the disks")
    change = standard_change(change_manager, cis=[host], start=start + timedelta(hours=1),
                             end=end + timedelta(hours=1), template=template)

    [conflict] = conflicts_refresh(change)

    assert (conflict.kind, conflict.key, conflict.other_change, conflict.ci) == (
        "same_ci", f"same_ci:{other.pk}", other, host)
    assert other.number in conflict.detail and "Replace the disks" in conflict.detail
    assert "mail-host-1" in conflict.detail
    assert (conflict.starts_at, conflict.ends_at) == (start + timedelta(hours=1), end)  # the overlap


def test_windows_that_only_touch_do_not_collide(change_manager, template):
    host = make_ci(type_slug="server")
    start, end = hours(24)
    occupying(change_manager, cis=[host], start=start, end=end)
    change = standard_change(change_manager, cis=[host], start=end, end=end + timedelta(hours=1), template=template)

    assert conflicts_refresh(change) == []


def test_changes_in_other_states_do_not_collide(change_manager, template):
    host = make_ci(type_slug="server")
    start, end = hours(24)
    other = occupying(change_manager, cis=[host], start=start, end=end)
    transition_apply(actor=change_manager, record=other, name="cancel", data={"cancel_reason": "Not needed"})
    change = standard_change(change_manager, cis=[host], start=start, end=end, template=template)

    assert conflicts_refresh(change) == []


def test_a_conflict_no_longer_found_is_cleared_and_kept_on_record(change_manager, template):
    host = make_ci(type_slug="server")
    start, end = hours(24)
    other = occupying(change_manager, cis=[host], start=start, end=end)
    change = standard_change(change_manager, cis=[host], start=start, end=end, template=template)
    [conflict] = conflicts_refresh(change)

    transition_apply(actor=change_manager, record=other, name="cancel", data={"cancel_reason": "Postponed"})

    assert conflicts_refresh(change) == []
    conflict.refresh_from_db()
    assert conflict.cleared_at is not None


def test_a_change_on_a_related_ci_is_a_conflict_in_both_directions(change_manager, template):
    database = make_ci(name="db-01", type_slug="server")
    app = make_ci(name="crm-app")
    link(app, database)  # the application depends on the database
    start, end = hours(24)
    on_app = occupying(change_manager, cis=[app], start=start, end=end)

    change = standard_change(change_manager, cis=[database], start=start, end=end, template=template)
    [conflict] = conflicts_refresh(change)
    assert (conflict.kind, conflict.other_change, conflict.ci) == ("related_ci", on_app, app)
    assert "crm-app, which depends on this change's CIs (1 step away)" in conflict.detail

    on_database = occupying(change_manager, cis=[database], start=start, end=end)
    from_app = standard_change(change_manager, cis=[app], start=start, end=end, template=template)
    found = conflicts_refresh(from_app)
    assert [(c.kind, c.other_change) for c in found] == [("same_ci", on_app), ("related_ci", on_database)]
    assert "db-01, which this change's CIs depend on (1 step away)" in found[1].detail


def test_the_depth_setting_bounds_the_related_cis(change_manager, template, settings):
    storage, host, app = make_ci(type_slug="server"), make_ci(type_slug="server"), make_ci()
    link(app, host)
    link(host, storage)  # app → host → storage: two steps
    start, end = hours(24)
    occupying(change_manager, cis=[app], start=start, end=end)
    change = standard_change(change_manager, cis=[storage], start=start, end=end, template=template)

    assert kinds(conflicts_refresh(change)) == ["related_ci"]
    assert "2 steps away" in change.conflicts.get().detail
    settings.CHANGE_CONFLICT_DEPTH = 1
    assert conflicts_refresh(change) == []
    settings.CHANGE_CONFLICT_DEPTH = 0
    assert conflicts_refresh(change) == []


def test_a_global_blackout_window_is_a_conflict_per_occurrence(change_manager, template):
    start, end = hours(24, length=3)
    window = make_window(name="Year-end freeze", start=start - timedelta(days=1),
                         end=start - timedelta(days=1) + timedelta(hours=1), rrule="FREQ=DAILY")
    change = standard_change(change_manager, cis=[make_ci()], start=start, end=end, template=template)

    [conflict] = conflicts_refresh(change)

    assert (conflict.kind, conflict.window) == ("blackout", window)
    assert conflict.key == f"blackout:{window.pk}:{start.isoformat()}"
    assert (conflict.starts_at, conflict.ends_at) == (start, start + timedelta(hours=1))
    assert "Year-end freeze" in conflict.detail and "everywhere" in conflict.detail


def test_a_service_blackout_applies_to_changes_on_the_service_or_impacting_it(change_manager, template):
    mail, web = make_service(name="Mail"), make_service(name="Web shop")
    relay = make_ci(name="relay-1", type_slug="server")
    link(mail, relay)
    start, end = hours(24)
    make_window(name="Mail freeze", service=mail, start=start, end=end)

    impacting = standard_change(change_manager, cis=[relay], start=start, end=end, template=template)
    affecting = standard_change(change_manager, start=start, end=end,
                                template=make_template(name="Mail template", services=[mail]))
    elsewhere = standard_change(change_manager, cis=[make_ci()], start=start, end=end,
                                template=make_template(name="Web template", services=[web]))

    assert kinds(conflicts_refresh(impacting)) == ["blackout"]
    assert "Mail freeze" in impacting.conflicts.get().detail and "(Mail)" in impacting.conflicts.get().detail
    assert kinds(conflicts_refresh(affecting)) == ["blackout"]
    assert conflicts_refresh(elsewhere) == []


def test_a_change_outside_the_maintenance_window_of_its_ci(change_manager, template):
    host = make_ci(name="erp-db", type_slug="server")
    make_window(kind="maintenance", name="Sunday mornings", ci=host, start=at("2030-01-06 06:00"),
                end=at("2030-01-06 10:00"), rrule="FREQ=WEEKLY;BYDAY=SU")
    inside = standard_change(change_manager, cis=[host], start=at("2030-03-03 07:00"), end=at("2030-03-03 09:00"),
                             template=template)
    outside = standard_change(change_manager, cis=[host], start=at("2030-03-04 07:00"),
                              end=at("2030-03-04 09:00"), template=template)
    overrunning = standard_change(change_manager, cis=[host], start=at("2030-03-03 09:00"),
                                  end=at("2030-03-03 11:00"), template=template)

    assert conflicts_refresh(inside) == []
    [conflict] = conflicts_refresh(outside)
    assert (conflict.kind, conflict.ci, conflict.key) == ("outside_maintenance", host, f"outside_maintenance:{host.pk}")
    assert "erp-db" in conflict.detail and "Sunday mornings" in conflict.detail
    assert "2030-03-10 06:00–10:00 UTC" in conflict.detail  # the nearest occurrence after its start
    assert "outside_maintenance" in kinds(conflicts_refresh(overrunning))


def test_two_maintenance_windows_end_to_end_hold_a_change(change_manager, template):
    host = make_ci(type_slug="server")
    make_window(kind="maintenance", name="Evening", ci=host, start=at("2030-03-01 18:00"), end=at("2030-03-01 22:00"))
    make_window(kind="maintenance", name="Night", ci=host, start=at("2030-03-01 22:00"), end=at("2030-03-02 04:00"))
    change = standard_change(change_manager, cis=[host], start=at("2030-03-01 21:00"), end=at("2030-03-01 23:00"),
                             template=template)

    assert conflicts_refresh(change) == []


def test_a_recurring_maintenance_window_follows_its_wall_clock_over_summer_time(change_manager, template):
    host = make_ci(type_slug="server")
    # Saturdays 22:00-02:00 in Berlin: 21:00-01:00 UTC in winter, 20:00-00:00 UTC in summer.
    make_window(kind="maintenance", name="Saturday night", ci=host, start=at("2030-01-05 21:00"),
                end=at("2030-01-06 01:00"), rrule="FREQ=WEEKLY;BYDAY=SA", time_zone="Europe/Berlin")
    summer = standard_change(change_manager, cis=[host], start=at("2030-07-06 20:15"), end=at("2030-07-06 23:45"),
                             template=template)
    winter = standard_change(change_manager, cis=[host], start=at("2030-11-09 21:15"), end=at("2030-11-10 00:45"),
                             template=template)
    too_late_in_summer = standard_change(change_manager, cis=[host], start=at("2030-07-13 23:00"),
                                         end=at("2030-07-14 00:30"), template=template)

    assert conflicts_refresh(summer) == []
    assert conflicts_refresh(winter) == []
    [conflict] = conflicts_refresh(too_late_in_summer)
    assert "2030-07-13 22:00–2030-07-14 02:00 Europe/Berlin" in conflict.detail


def test_a_retired_window_no_longer_conflicts(change_manager, template):
    start, end = hours(24)
    window = make_window(start=start, end=end)
    change = standard_change(change_manager, cis=[make_ci()], start=start, end=end, template=template)
    assert kinds(conflicts_refresh(change)) == ["blackout"]

    window_update(actor=schedule_admin(), window=window, data={"is_active": False})

    assert conflicts_refresh(change) == []


def test_no_window_no_conflicts(change_manager, template):
    change = standard_change(change_manager, cis=[make_ci()], template=template)

    assert conflicts_refresh(change) == []
    assert conflicts_preview(change, planned_start=None, planned_end=None) == []


# --- the policy, refusals and overrides ----------------------------------------------------------

@pytest.mark.parametrize(("policy_value", "refusal"), [
    ("block", "conflicts"), ("override", "override_reason"), ("warn", None)])
def test_the_policy_decides_what_a_conflict_does_to_scheduling(change_manager, template, settings, policy_value,
                                                                refusal):
    settings.CHANGE_CONFLICT_POLICY = {**POLICY, "blackout": policy_value}
    start, end = hours(24)
    make_window(name="Freeze", start=start, end=end)
    change = standard_change(change_manager, cis=[make_ci()], start=start, end=end, template=template)

    [conflict] = conflicts_refresh(change)

    assert (conflict.blocking, conflict.needs_override) == (policy_value == "block", policy_value == "override")
    errors = scheduling_refusal(change)
    assert list(errors) == ([refusal] if refusal else [])
    if refusal:
        assert "Freeze" in errors[refusal]
    # A reason lifts an override, never a block.
    assert bool(scheduling_refusal(change, override_reason="Security fix")) == (policy_value == "block")


def test_scheduling_into_a_blackout_is_refused_without_a_reason_and_recorded_with_one(change_manager, template):
    start, end = hours(24)
    make_window(name="Payroll freeze", start=start - timedelta(hours=1), end=end)
    change = standard_change(change_manager, cis=[make_ci()], start=start, end=end, template=template)

    with pytest.raises(GuardFailed) as refused:
        change_transition(actor=change_manager, change=change, name="schedule_standard")
    assert "Payroll freeze" in refused.value.fields["override_reason"]
    change.refresh_from_db()
    assert change.state == ChangeState.NEW and not change.conflicts.exists()  # nothing written

    change = change_transition(actor=change_manager, change=change, name="schedule_standard",
                               override_reason="The vendor's patch closes an exploited hole.")

    change.refresh_from_db()
    assert change.state == ChangeState.SCHEDULED
    assert (change.conflict_override_reason, change.conflict_overridden_by) == (
        "The vendor's patch closes an exploited hole.", change_manager)
    conflict = change.conflicts.get()
    assert (conflict.overridden_by, conflict.override_reason) == (
        change_manager, "The vendor's patch closes an exploited hole.")
    notes = list(JournalEntry.objects.filter(object_id=change.pk, kind="system").values_list("body", flat=True))
    assert any("Payroll freeze" in body for body in notes)
    assert any("Scheduled despite conflicts" in body for body in notes)
    found = DomainEvent.objects.get(name="change.conflict_found", object_id=change.pk)
    assert "Payroll freeze" in found.payload["conflicts"][0]
    assert found.payload["found"][0]["needs_override"] is True
    assert change.history.filter(conflict_override_reason__startswith="The vendor").exists()


def test_a_blocking_conflict_refuses_scheduling_even_with_a_reason(change_manager, template, settings):
    settings.CHANGE_CONFLICT_POLICY = {**POLICY, "blackout": "block"}
    start, end = hours(24)
    make_window(start=start, end=end)
    change = standard_change(change_manager, cis=[make_ci()], start=start, end=end, template=template)

    with pytest.raises(GuardFailed) as refused:
        change_transition(actor=change_manager, change=change, name="schedule_standard", override_reason="Urgent")

    assert "conflicts" in refused.value.fields


def test_an_override_is_kept_while_its_conflict_stays_and_asked_again_for_a_new_one(change_manager, template):
    host = make_ci(type_slug="server")
    start, end = hours(24)
    make_window(name="Freeze", start=start, end=end)
    change = standard_change(change_manager, cis=[host], start=start, end=end, template=template)
    change = change_transition(actor=change_manager, change=change, name="schedule_standard",
                               override_reason="Agreed with the service owner")

    conflicts_refresh(change)
    assert scheduling_refusal(change) == {}
    assert change.conflicts.get().overridden_at is not None

    occupying(change_manager, cis=[host], start=start, end=end)
    conflicts_refresh(change)
    assert "override_reason" in scheduling_refusal(change)


def test_record_override_with_nothing_to_override_writes_nothing(change_manager, template):
    start, end = hours(24)
    change = standard_change(change_manager, cis=[make_ci()], start=start, end=end, template=template)
    version = change.version

    record_override(change, actor=change_manager, reason="Just in case")

    change.refresh_from_db()
    assert (change.version, change.conflict_override_reason) == (version, "")


def test_the_preview_shows_what_a_window_would_meet_without_storing_it(change_manager, template):
    start, end = hours(24)
    make_window(name="Freeze", start=start, end=end)
    change = standard_change(change_manager, cis=[make_ci()], template=template)

    [item] = conflicts_preview(change, planned_start=start, planned_end=end)

    assert (item["kind"], item["policy"], item["overridden"]) == ("blackout", "override", False)
    assert "Freeze" in item["detail"]
    assert not ChangeConflict.objects.exists()


def test_a_recheck_is_for_change_workers(auditor, change_manager, template):
    change = standard_change(change_manager, cis=[make_ci()], template=template)

    with pytest.raises(NotPermitted):
        conflicts_recheck(change, actor=auditor)


# --- the beat's re-check --------------------------------------------------------------------------

def test_the_recheck_flags_new_conflicts_of_scheduled_changes_once(change_manager, template):
    start, end = hours(48)
    changes = [standard_change(change_manager, cis=[make_ci()], start=start + timedelta(hours=n),
                               end=end + timedelta(hours=n), template=template, schedule=True) for n in range(3)]
    assert conflicts_recheck_scheduled() == 0

    make_window(name="Network freeze", start=start, end=start + timedelta(minutes=30))

    assert conflicts_recheck_scheduled() == 1
    event = DomainEvent.objects.get(name="change.conflict_found")
    assert event.object_id == changes[0].pk and "Network freeze" in event.payload["conflicts"][0]
    assert conflicts_recheck_scheduled() == 0  # known now: not flagged again
    assert DomainEvent.objects.filter(name="change.conflict_found").count() == 1


def test_the_recheck_costs_the_same_queries_for_more_changes(change_manager, template):
    host = make_ci(type_slug="server")
    start, end = hours(48)

    def recheck_queries(count: int, first: int) -> int:
        for n in range(first, first + count):
            standard_change(change_manager, cis=[host, make_ci()], start=start + timedelta(days=n),
                            end=end + timedelta(days=n), template=template, schedule=True)
        conflicts_recheck_scheduled()
        with CaptureQueriesContext(connection) as queries:
            conflicts_recheck_scheduled()
        return len(queries)

    few = recheck_queries(2, first=0)
    assert recheck_queries(6, first=2) == few


def test_one_check_takes_a_bounded_number_of_queries(change_manager, template, django_assert_max_num_queries):
    hosts = [make_ci(type_slug="server") for _ in range(5)]
    start, end = hours(24)
    for host in hosts:
        occupying(change_manager, cis=[host], start=start, end=end)
    make_window(start=start, end=end)
    change = standard_change(change_manager, cis=hosts, start=start, end=end, template=template)

    with django_assert_max_num_queries(20):  # reads 9, writes (conflicts, journal, trail, event, notice)
        found = conflicts_refresh(change)
    assert kinds(found) == ["blackout"] + ["same_ci"] * 5


# --- overriding conflicts found after scheduling ----------------------------------------------------

def test_a_conflict_found_after_scheduling_stops_the_start_until_a_manager_overrides_it(change_manager, agent,
                                                                                         template):
    from django.core.exceptions import ValidationError

    from changes.services.conflicts import conflicts_override

    host = make_ci(type_slug="server")
    start, end = hours(-1, length=3)  # under way: the implementation may start now
    change = standard_change(change_manager, cis=[host], start=start, end=end, template=template, schedule=True)
    occupying(change_manager, cis=[host], start=start, end=end)
    assert conflicts_recheck_scheduled() == 2  # each of the two changes meets the other

    with pytest.raises(GuardFailed) as refused:
        change_transition(actor=change_manager, change=change, name="start")
    assert "override_reason" in refused.value.fields
    with pytest.raises(NotPermitted):
        conflicts_override(change, actor=agent, reason="Fine")
    with pytest.raises(ValidationError):
        conflicts_override(change, actor=change_manager, reason="  ")

    [conflict] = conflicts_override(change, actor=change_manager, reason="The other change only reads the disks")

    assert (conflict.overridden_by, conflict.override_reason) == (change_manager, "The other change only reads the disks")
    change = change_transition(actor=change_manager, change=change, name="start")
    assert change.state == ChangeState.IMPLEMENTATION
    with pytest.raises(ValidationError):  # nothing left waiting
        conflicts_override(change, actor=change_manager, reason="Again")
