"""Change reports: the figures a change manager reads, exact on a small known set, and what the
service and assignment-group filters keep."""

from datetime import date, timedelta

import pytest

from changes import reports
from tests.changes.factories import make_change
from tests.changes.factories_reports import (
    MONTHS,
    WEEKS,
    at,
    authorisation,
    conflict,
    finished,
    implemented,
    raised,
    stamp,
    unauthorised,
)
from tests.config_items.factories import link, make_ci, make_service
from tests.factories import TeamFactory
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_changes(agent):
    """Q1: January 2 successes (one with issues) and a failure, February a backout and a success,
    March a cancellation; a success in December (outside) and one still in review (not closed)."""
    for code, closed in (("successful", at(1, 7)), ("successful_with_issues", at(1, 20)), ("failed", at(1, 28)),
                         ("backed_out", at(2, 3)), ("successful", at(2, 27)), ("cancelled", at(3, 2)),
                         ("successful", at(12, 30, year=2025))):
        finished(agent, code, closed)
    stamp(make_change(agent), state="review", close_code="successful", actual_end=at(3, 3))


def test_success_rate_leaves_cancelled_changes_out(closed_changes):
    result = reports.success(MONTHS)

    assert [(row["code"], row["count"]) for row in result["by_code"]] == [
        ("successful", 2), ("successful_with_issues", 1), ("failed", 1), ("backed_out", 1), ("cancelled", 1)]
    assert result["summary"] == {"implemented": 5, "successful": 3, "cancelled": 1, "rate": 60.0}
    assert result["trend"] == [
        {"bucket": "2026-01", "implemented": 3, "successful": 2, "rate": 66.7},
        {"bucket": "2026-02", "implemented": 2, "successful": 1, "rate": 50.0},
        {"bucket": "2026-03", "implemented": 0, "successful": 0, "rate": None},
    ]


def test_the_weekly_trend_has_a_row_per_week_from_monday(closed_changes):
    trend = reports.success(WEEKS)["trend"]

    assert [row["bucket"] for row in trend] == [(date(2026, 1, 5) + timedelta(weeks=n)).isoformat()
                                                for n in range(12)]
    assert [(row["bucket"], row["implemented"]) for row in trend if row["implemented"]] == [
        ("2026-01-05", 1), ("2026-01-19", 1), ("2026-01-26", 1), ("2026-02-02", 1), ("2026-02-23", 1)]


def test_the_default_period_is_the_last_twelve_weeks_by_week():
    scope = reports.default_scope()

    assert scope.start.weekday() == 0 and (scope.end - scope.start).days < 12 * 7
    assert scope.interval == reports.WEEK and len(reports.buckets(scope)) == 12
    assert reports.default_interval(date(2025, 1, 1), date(2025, 12, 31)) == reports.MONTH


def test_emergency_share_of_the_changes_raised(agent):
    raised(agent, at(1, 6))
    raised(agent, at(1, 8))
    raised(agent, at(1, 9), model="emergency")
    raised(agent, at(2, 10), model="emergency")
    raised(agent, at(12, 1, year=2025), model="emergency")  # before the period

    result = reports.emergency(MONTHS)

    assert result["summary"] == {"raised": 4, "emergency": 2, "share": 50.0}
    assert [(row["bucket"], row["raised"], row["emergency"], row["share"]) for row in result["trend"]] == [
        ("2026-01", 3, 1, 33.3), ("2026-02", 1, 1, 100.0), ("2026-03", 0, 0, None)]


def test_changes_by_model_and_risk(agent):
    for model, risk in (("normal", "low"), ("normal", "low"), ("normal", "high"), ("emergency", "very_high"),
                        ("emergency", ""), ("standard", "low")):
        raised(agent, at(2, 2), model=model, risk=risk)
    raised(agent, at(4, 2), risk="low")  # after the period

    rows = {row["model"]: row for row in reports.model_risk(MONTHS)}

    assert list(rows) == ["standard", "normal", "emergency", "total"]
    assert rows["normal"] == {"model": "normal", "label": "Normal", "low": 2, "moderate": 0, "high": 1,
                              "very_high": 0, "unassessed": 0, "total": 3}
    assert (rows["emergency"]["very_high"], rows["emergency"]["unassessed"], rows["emergency"]["total"]) == (1, 1, 2)
    assert (rows["total"]["low"], rows["total"]["total"]) == (3, 6)


def test_approval_lead_time_median_and_90th_percentile_per_model(agent, cab_member):
    normal = [make_change(agent) for _ in range(4)]
    for change, hours in zip(normal, (2, 4, 10), strict=False):
        authorisation(change, cab_member, requested=at(2, 2, 8), completed=at(2, 2, 8 + hours))
    authorisation(normal[3], cab_member, requested=at(2, 3), completed=at(2, 4), outcome="reject")
    urgent = raised(agent, at(2, 1), model="emergency")
    authorisation(urgent, cab_member, requested=at(2, 5, 9), completed=at(2, 5, 10))
    # Decided before the period, and an approval for another purpose: neither counts.
    authorisation(make_change(agent), cab_member, requested=at(12, 1, year=2025), completed=at(12, 2, year=2025))
    authorisation(make_change(agent), cab_member, requested=at(2, 2), completed=at(2, 3), purpose="go_no_go")

    rows = {row["model"]: row for row in reports.lead_time(MONTHS)}

    assert rows["normal"] == {"model": "normal", "label": "Normal", "approved": 3, "median_hours": 4.0,
                              "p90_hours": 10.0, "rejected": 1}
    assert (rows["emergency"]["approved"], rows["emergency"]["median_hours"], rows["emergency"]["p90_hours"]) == (
        1, 1.0, 1.0)
    assert (rows["standard"]["approved"], rows["standard"]["median_hours"]) == (0, None)
    # In all: 1, 2, 4 and 10 hours: the median between the middle two, p90 the fourth.
    assert (rows["total"]["approved"], rows["total"]["median_hours"], rows["total"]["p90_hours"],
            rows["total"]["rejected"]) == (4, 3.0, 10.0, 1)


def test_ranks_of_the_median_and_the_90th_percentile():
    assert reports._ranks(1) == ((1,), 1)
    assert reports._ranks(4) == ((2, 3), 4)
    assert reports._ranks(10) == ((5, 6), 9)
    assert reports._ranks(11) == ((6,), 10)


def test_incidents_caused_by_the_changes_implemented(agent):
    shared, other, old = make_incident(agent), make_incident(agent), make_incident(agent)
    noisy = implemented(agent, at(1, 10), caused_incidents=[shared, other], short_description="Upgrade the relays")
    implemented(agent, at(1, 11))
    urgent = implemented(agent, at(2, 12), model="emergency", caused_incidents=[shared])
    implemented(agent, at(11, 1, year=2025), caused_incidents=[old])  # before the period

    result = reports.incidents(MONTHS)

    rows = {row["model"]: row for row in result["by_model"]}
    assert {key: rows["normal"][key] for key in ("implemented", "causing", "share", "incidents")} == {
        "implemented": 2, "causing": 1, "share": 50.0, "incidents": 2}
    assert (rows["emergency"]["implemented"], rows["emergency"]["causing"], rows["emergency"]["incidents"]) == (1, 1, 1)
    # The incident both changes caused counts once in all.
    assert (rows["total"]["implemented"], rows["total"]["causing"], rows["total"]["share"],
            rows["total"]["incidents"]) == (3, 2, 66.7, 2)
    assert [(row["number"], row["incidents"]) for row in result["top_changes"]] == [
        (noisy.number, 2), (urgent.number, 1)]
    assert result["top_changes"][0]["short_description"] == "Upgrade the relays"


def test_unauthorised_changes_by_state_and_ci():
    database, web = make_ci(name="db-01", type_slug="server"), make_ci(name="web-01", type_slug="server")
    unauthorised(database, at(1, 10))
    unauthorised(database, at(2, 10))
    unauthorised(database, at(2, 11), state="accepted")
    unauthorised(web, at(3, 1), state="linked")
    unauthorised(web, at(4, 1))  # after the period

    result = reports.unauthorised(MONTHS)

    assert result["total"] == 4
    assert [(row["state"], row["count"]) for row in result["by_state"]] == [("open", 2), ("linked", 1),
                                                                            ("accepted", 1)]
    assert [(row["name"], row["count"], row["open"]) for row in result["top_cis"]] == [("db-01", 3, 2),
                                                                                       ("web-01", 1, 0)]


def test_conflicts_overridden_by_kind_with_their_reasons(agent, change_manager):
    first, second = make_change(agent, short_description="Move the racks"), make_change(agent)
    conflict(first, "blackout", overridden=at(1, 20), by=change_manager, reason="Agreed with the board",
             detail="Inside the year-end freeze")
    conflict(second, "same_ci", overridden=at(2, 3), by=change_manager, reason="Same team, same night", other=first)
    conflict(second, "outside_maintenance")  # not overridden
    conflict(first, "related_ci", overridden=at(12, 1, year=2025), other=second)  # before the period

    result = reports.overrides(MONTHS)

    assert result["total"] == 2
    assert {row["kind"]: row["count"] for row in result["by_kind"]} == {
        "same_ci": 1, "related_ci": 0, "blackout": 1, "outside_maintenance": 0}
    assert [(row["change"], row["kind"], row["other_change"], row["reason"]) for row in result["rows"]] == [
        (second.number, "same_ci", first.number, "Same team, same night"),
        (first.number, "blackout", "", "Agreed with the board")]
    assert result["rows"][1]["cause"] == "Inside the year-end freeze"
    assert result["rows"][1]["overridden_by"] == str(change_manager)


def test_an_override_without_its_own_reason_shows_the_changes(agent, change_manager):
    change = stamp(make_change(agent), conflict_override_reason="Board agreed on Monday")
    conflict(change, "blackout", overridden=at(1, 20), by=change_manager)

    assert reports.overrides(MONTHS)["rows"][0]["reason"] == "Board agreed on Monday"


# --- the service and assignment-group filters ---------------------------------------------------

def _scope(**filters):
    return reports.Scope(MONTHS.period, interval=reports.MONTH, **filters)


def test_a_service_keeps_the_changes_that_affect_or_impact_it(agent):
    mail, web = make_service(name="Mail"), make_service(name="Web")
    relay = make_ci(name="relay-01", type_slug="server")
    link(mail, relay)
    finished(agent, "successful", at(1, 7), services=[mail])
    finished(agent, "failed", at(1, 8), cis=[relay])  # impacts Mail through the CMDB
    finished(agent, "failed", at(1, 9), services=[web])

    assert reports.success(_scope(service=mail.pk))["summary"]["rate"] == 50.0
    assert reports.success(_scope(service=web.pk))["summary"]["rate"] == 0.0
    assert reports.success(_scope())["summary"]["implemented"] == 3


def test_an_assignment_group_keeps_its_own_changes(agent, cab_member):
    team = TeamFactory(name="Network")
    ours = raised(agent, at(2, 1), model="emergency", assignment_group=team)
    raised(agent, at(2, 2))
    authorisation(ours, cab_member, requested=at(2, 3), completed=at(2, 3, 15))
    conflict(ours, "blackout", overridden=at(2, 4))

    scope = _scope(group=team.pk)

    assert reports.emergency(scope)["summary"] == {"raised": 1, "emergency": 1, "share": 100.0}
    assert reports.lead_time(scope)[-1]["approved"] == 1
    assert reports.overrides(scope)["total"] == 1
    assert reports.emergency(_scope(group=TeamFactory().pk))["summary"]["raised"] == 0


def test_unauthorised_changes_of_a_service_are_those_of_what_it_depends_on():
    mail = make_service(name="Mail")
    relay, printer = make_ci(name="relay-01", type_slug="server"), make_ci(name="printer-01")
    link(mail, relay)
    unauthorised(relay, at(1, 10))
    unauthorised(printer, at(1, 11))
    unauthorised(mail, at(1, 12))

    names = [row["name"] for row in reports.unauthorised(_scope(service=mail.pk))["top_cis"]]

    assert sorted(names) == ["Mail", "relay-01"]
