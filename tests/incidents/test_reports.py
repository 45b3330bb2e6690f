"""Incident reports: backlog, time to resolve, rates — exact numbers on a small set, page, CSV and API."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import reports, services
from incidents.choices import Impact, Urgency
from incidents.models import Incident
from itsm.choices import Role
from tests.incidents.factories import make_incident, make_team_with, resolve

pytestmark = pytest.mark.django_db

PERIOD = reports.Period(date(2026, 1, 1), date(2026, 3, 31))
QUERY = "?start=2026-01-01&end=2026-03-31"


def at(day, hour=0):
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day - 1, hours=hour)


def set_instants(incident, **fields):
    # Test data only: the services stamp "now"; reports are about the past. (No history needed.)
    Incident.objects.filter(pk=incident.pk).update(**fields)


def classified(impact, urgency):
    return {"impact": impact, "urgency": urgency}


P1, P3, P4, P5 = (classified(Impact.HIGH, Urgency.HIGH), classified(Impact.MEDIUM, Urgency.MEDIUM),
                  classified(Impact.MEDIUM, Urgency.LOW), classified(Impact.LOW, Urgency.LOW))


@pytest.fixture
def backlog(agent):
    """Five open incidents of every age bucket, one resolved and one cancelled (not in the backlog)."""
    now = timezone.now()
    network, desk = make_team_with(agent, name="Network"), make_team_with(agent, name="Desk")
    specs = [(P1, network, timedelta(hours=2)), (P3, network, timedelta(days=2)), (P3, None, timedelta(days=5)),
             (P4, desk, timedelta(days=10)), (P5, desk, timedelta(days=40))]
    for classification, group, age in specs:
        incident = make_incident(agent, assignment_group=group, **classification)
        set_instants(incident, opened_at=now - age)
    services.incident_transition(actor=agent, incident=Incident.objects.get(priority=5), name="hold",
                                 data={"on_hold_reason": "awaiting_vendor"})
    resolve(agent, make_incident(agent, **P1))
    services.incident_transition(actor=agent, incident=make_incident(agent, **P4), name="cancel")
    return now


@pytest.fixture
def resolved(agent):
    """Five incidents resolved in Q1 2026 (and two just outside it)."""
    specs = [  # classification, opened, hours to resolve, reassignments, reopens
        (P1, at(10), 2, 0, 0), (P1, at(11), 4, 0, 0), (P1, at(12), 12, 0, 0),
        (P3, at(41), 24, 1, 0), (P3, at(42), 48, 0, 1),
        (P3, at(0, 10), 2, 1, 1),  # resolved 2025-12-31 12:00
        (P1, at(90, 23), 2, 1, 1),  # resolved 2026-04-01 01:00
    ]
    for classification, opened, hours, reassignments, reopens in specs:
        incident = make_incident(agent, **classification)
        resolve(agent, incident)
        set_instants(incident, opened_at=opened, resolved_at=opened + timedelta(hours=hours),
                     reassignment_count=reassignments, reopen_count=reopens)


def test_backlog_by_priority_counts_open_incidents_of_every_priority(backlog):
    assert [(row["label"], row["count"]) for row in reports.backlog_by_priority()] == [
        ("P1", 1), ("P2", 0), ("P3", 2), ("P4", 1), ("P5", 1)]


def test_backlog_by_group_largest_first_with_the_unassigned(backlog):
    assert [(row["name"], row["count"]) for row in reports.backlog_by_group()] == [
        ("Desk", 2), ("Network", 2), ("(no group)", 1)]


def test_backlog_by_age_buckets(backlog):
    assert [(row["bucket"], row["count"]) for row in reports.backlog_by_age(backlog)] == [
        ("lt1", 1), ("1to3", 1), ("3to7", 1), ("7to30", 1), ("gt30", 1)]


def test_an_incident_exactly_one_day_old_is_in_the_second_bucket(agent):
    now = timezone.now()
    set_instants(make_incident(agent), opened_at=now - timedelta(days=1))

    assert [row["count"] for row in reports.backlog_by_age(now)] == [0, 1, 0, 0, 0]


def test_resolution_times_by_month_and_priority(resolved):
    assert reports.resolution_times(PERIOD) == [
        {"month": "2026-01", "priority": 1, "label": "P1", "count": 3, "mean_hours": 6.0, "p90_hours": 12.0},
        {"month": "2026-02", "priority": 3, "label": "P3", "count": 2, "mean_hours": 36.0, "p90_hours": 48.0},
    ]


def test_rates_among_incidents_resolved_in_the_period(resolved):
    assert reports.rates(PERIOD) == {"resolved": 5, "reassigned": 1, "reopened": 1,
                                     "reassignment_rate": 20.0, "reopen_rate": 20.0}


def test_rates_of_an_empty_period_are_unknown_not_zero(db):
    assert reports.rates(PERIOD) == {"resolved": 0, "reassigned": 0, "reopened": 0,
                                     "reassignment_rate": None, "reopen_rate": None}


def test_months_of_a_period_end_with_the_month_after_it():
    period = reports.Period(date(2025, 11, 15), date(2026, 1, 3))

    assert [label for label, _start in reports.month_starts(period)] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert reports.month_starts(period)[1][1] == datetime(2025, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York"])
def test_months_follow_the_time_zone_of_the_reader(agent, zone):
    # resolved 2026-01-31 20:00 UTC: still January in New York, February in Shanghai
    incident = make_incident(agent)
    resolve(agent, incident)
    set_instants(incident, opened_at=at(31, 10), resolved_at=at(31, 20))

    with timezone.override(zone):
        months = [row["month"] for row in reports.resolution_times(PERIOD)]

    assert months == (["2026-02"] if zone == "Asia/Shanghai" else ["2026-01"])


def test_p90_is_the_nearest_rank():
    assert reports.percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert reports.percentile([5.0], 0.9) == 5.0
    assert reports.percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], 0.9) == 10.0


def test_the_default_period_is_this_month_and_the_five_before():
    assert reports.default_period(date(2026, 2, 15)) == reports.Period(date(2025, 9, 1), date(2026, 2, 15))
    assert reports.default_period(date(2026, 11, 23)) == reports.Period(date(2026, 6, 1), date(2026, 11, 23))


# --- the page --------------------------------------------------------------------------------------

def test_the_report_page_shows_the_tables_for_the_chosen_period(client, agent, resolved):
    client.force_login(agent)

    response = client.get(reverse("incident_reports") + QUERY)

    assert response.status_code == 200
    assert response.context["period"] == PERIOD
    assert response.context["rates"]["reassignment_rate"] == 20.0
    assert [row["count"] for row in response.context["resolution_times"]] == [3, 2]
    assert response.context["chart"]["resolution"] == {
        "months": ["2026-01", "2026-02"],
        "series": [{"name": "P1", "values": [6.0, None]}, {"name": "P3", "values": [None, 36.0]}]}
    text = response.content.decode()
    assert 'id="report-data"' in text
    assert "<script>" not in text  # CSP: data only (json_script), code from static files


def test_a_wrong_period_says_so_and_shows_the_default(client, agent):
    client.force_login(agent)

    response = client.get(reverse("incident_reports") + "?start=2026-03-01&end=2026-01-01")

    assert response.context["form"].non_field_errors() == ["The start of the period must not be after its end."]
    assert response.context["period"] == reports.default_period()


def test_csv_export_of_the_resolution_table(client, agent, resolved):
    client.force_login(agent)

    response = client.get(reverse("incident_reports") + QUERY + "&export=resolution")

    assert response["Content-Disposition"] == (
        'attachment; filename="incident-time-to-resolve-2026-01-01-2026-03-31.csv"')
    assert b"".join(response.streaming_content).decode().splitlines() == [
        "\ufeffMonth,Priority,Resolved,Mean hours,P90 hours",
        "2026-01,P1,3,6.0,12.0",
        "2026-02,P3,2,36.0,48.0",
    ]


@pytest.mark.parametrize(("name", "lines"), [
    ("backlog_priority", ["\ufeffPriority,Name,Open", "P1,P1 - Critical,1", "P2,P2 - High,0",
                          "P3,P3 - Moderate,2", "P4,P4 - Low,1", "P5,P5 - Planning,1"]),
    ("backlog_group", ["\ufeffAssignment group,Open", "Desk,2", "Network,2", "(no group),1"]),
    ("backlog_age", ["\ufeffAge,Open", "< 1 day,1", "1–3 days,1", "3–7 days,1", "7–30 days,1", "> 30 days,1"]),
])
def test_csv_export_of_the_backlog_tables(client, agent, backlog, name, lines):
    client.force_login(agent)

    response = client.get(reverse("incident_reports") + f"?export={name}")

    assert b"".join(response.streaming_content).decode().splitlines() == lines


def test_csv_export_of_the_rates(client, auditor, resolved):
    client.force_login(auditor)

    response = client.get(reverse("incident_reports") + QUERY + "&export=rates")

    assert b"".join(response.streaming_content).decode().splitlines() == [
        "\ufeffResolved,Reassigned,Reassignment rate %,Reopened,Reopen rate %", "5,1,20.0,1,20.0"]


def test_requesters_may_not_see_reports(client, requester):
    client.force_login(requester)

    assert client.get(reverse("incident_reports")).status_code == 403
    assert client.get(reverse("incident_reports") + "?export=rates").status_code == 403


def test_the_page_takes_a_constant_number_of_queries(client, agent, backlog, resolved,
                                                     django_assert_max_num_queries):
    client.force_login(agent)

    with django_assert_max_num_queries(12):
        client.get(reverse("incident_reports") + QUERY)


# --- the API ---------------------------------------------------------------------------------------

def test_api_rates(api, agent, resolved):
    api.force_authenticate(agent)

    response = api.get(reverse("api:incidents:report-rates") + QUERY)

    assert response.status_code == 200
    assert response.json() == {"start": "2026-01-01", "end": "2026-03-31", "resolved": 5, "reassigned": 1,
                               "reopened": 1, "reassignment_rate": 20.0, "reopen_rate": 20.0}


def test_api_resolution_times(token_client, auditor, resolved):
    response = token_client(auditor, read_only=True).get(reverse("api:incidents:report-resolution-times") + QUERY)

    assert response.status_code == 200
    assert [(r["month"], r["label"], r["count"], r["mean_hours"], r["p90_hours"]) for r in response.json()["rows"]] == [
        ("2026-01", "P1", 3, 6.0, 12.0), ("2026-02", "P3", 2, 36.0, 48.0)]


def test_api_backlog(api, agent, backlog):
    api.force_authenticate(agent)

    body = api.get(reverse("api:incidents:report-backlog")).json()

    assert [row["count"] for row in body["by_priority"]] == [1, 0, 2, 1, 1]
    assert [(row["name"], row["count"]) for row in body["by_group"]] == [("Desk", 2), ("Network", 2),
                                                                         ("(no group)", 1)]
    assert sum(row["count"] for row in body["by_age"]) == 5


def test_api_refuses_a_wrong_date_with_the_field(api, agent):
    api.force_authenticate(agent)

    response = api.get(reverse("api:incidents:report-rates") + "?start=yesterday")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"start": ["Enter a valid date."]}


def test_api_refuses_requesters(api, make_user):
    api.force_authenticate(make_user(Role.REQUESTER))

    assert api.get(reverse("api:incidents:report-backlog")).status_code == 403


# --- in a real browser ------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_report_page_draws_its_charts_under_the_content_security_policy(page, sign_in, make_user):
    from playwright.sync_api import expect

    agent = make_user(Role.AGENT, username="andy")
    make_incident(agent, **P1)
    make_incident(agent, **P3)
    resolve(agent, make_incident(agent, **P3))
    sign_in(page, agent)

    page.goto(reverse("incident_reports"))

    # ECharts drew bars for the backlog and a line for the time to resolve (SVG renderer)
    for chart in ("priority", "age", "resolution"):
        expect(page.locator(f"[data-report-chart={chart}] svg")).to_have_count(1)
    expect(page.locator("#backlog-priority tbody tr").first).to_contain_text("P1 - Critical")
