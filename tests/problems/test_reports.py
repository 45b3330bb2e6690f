"""Problem reports: exact figures on a small known set, the page (charts' data, CSV, XLSX), the API,
who may read them, and a constant number of queries whatever the number of problems."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.choices import Impact, Urgency
from incidents.models import Category
from problems import reports, services
from problems.choices import ProblemState
from problems.models import Problem
from tests.config_items.factories import make_ci
from tests.incidents.factories import make_incident
from tests.problems.factories import make_problem, move, publish

pytestmark = pytest.mark.django_db

PERIOD = reports.Period(date(2026, 1, 1), date(2026, 3, 31))
QUERY = "?start=2026-01-01&end=2026-03-31"
P1, P3, P5 = ({"impact": Impact.HIGH, "urgency": Urgency.HIGH}, {"impact": Impact.MEDIUM, "urgency": Urgency.MEDIUM},
              {"impact": Impact.LOW, "urgency": Urgency.LOW})
RESOLVE = {"resolution_code": "fixed", "resolution_notes": "Patched."}


def at(month, day):
    return datetime(2026, month, day, tzinfo=UTC)


def set_instants(problem, **fields):
    # Test data only: the services stamp "now"; reports are about the past. (No history needed.)
    Problem.objects.filter(pk=problem.pk).update(**fields)


@pytest.fixture
def open_problems(agent, problem_manager):
    """Four open problems of known ages and priorities, one resolved and one cancelled (not open)."""
    now = timezone.now()
    for data, steps, age in ((P1, (), 2), (P3, ("assess",), 10), (P3, ("analyse",), 40), (P5, ("assess",), 200)):
        problem = move(agent, make_problem(agent, **data), *steps)
        set_instants(problem, opened_at=now - timedelta(days=age))
    move(problem_manager, make_problem(agent, **P1), "resolve", **RESOLVE)
    move(problem_manager, make_problem(agent, **P1), "cancel", cancel_reason="Duplicate.")
    return now


@pytest.fixture
def timed(agent, problem_manager):
    """Root causes found and resolutions in Q1 2026 (and one just outside)."""
    first = move(problem_manager, make_problem(agent, root_cause="Leak"), "resolve", **RESOLVE)
    set_instants(first, opened_at=at(1, 1), root_cause_found_at=at(1, 3), resolved_at=at(1, 11))
    second = move(problem_manager, make_problem(agent, root_cause="Disk"), "resolve", **RESOLVE)
    set_instants(second, opened_at=at(1, 5), root_cause_found_at=at(1, 9), resolved_at=at(2, 4))
    third = move(agent, make_problem(agent, root_cause="Config"), "analyse")
    set_instants(third, opened_at=at(2, 1), root_cause_found_at=at(3, 1))
    outside = move(problem_manager, make_problem(agent, root_cause="Old"), "resolve", **RESOLVE)
    set_instants(outside, opened_at=at(1, 1) - timedelta(days=30), root_cause_found_at=at(1, 1) - timedelta(days=1),
                 resolved_at=at(4, 2))


@pytest.fixture
def known_errors(agent, problem_manager):
    """Published 100 days ago without a fix (stale), 10 days ago, 200 days ago but fixed, and one
    resolved today with a workaround."""
    now = timezone.now()
    stale = publish(problem_manager, make_problem(agent, short_description="Relay leaks sockets"))
    set_instants(stale, known_error_at=now - timedelta(days=100))
    recent = publish(problem_manager, make_problem(agent))
    set_instants(recent, known_error_at=now - timedelta(days=10))
    fixed = publish(problem_manager, make_problem(agent))
    move(problem_manager, fixed, "resolve", fix="Relay 2.2", **RESOLVE)
    set_instants(fixed, known_error_at=now - timedelta(days=200))
    # resolved with a workaround without being published first: an entry since its resolution
    move(problem_manager, make_problem(agent, workaround="Reboot."), "resolve", **RESOLVE)
    return stale


def test_open_problems_by_age_band_and_priority(open_problems):
    rows = reports.open_by_age_and_priority(open_problems)

    assert [(row["band"], row["P1"], row["P3"], row["P5"], row["total"]) for row in rows] == [
        ("lt7", 1, 0, 0, 1), ("7to30", 0, 1, 0, 1), ("30to90", 0, 1, 0, 1), ("90to180", 0, 0, 0, 0),
        ("gt180", 0, 0, 1, 1)]
    assert [(row["label"], row["count"]) for row in reports.open_by_priority(rows)] == [
        ("P1", 1), ("P2", 0), ("P3", 2), ("P4", 0), ("P5", 1)]
    assert [(row["state"], row["count"]) for row in reports.open_by_state()] == [
        ("new", 1), ("assessment", 2), ("root_cause_analysis", 1), ("known_error", 0)]


def test_mean_days_to_root_cause_and_to_resolution_per_month(timed):
    assert reports.mean_times(PERIOD) == [
        {"month": "2026-01", "root_cause_count": 2, "root_cause_mean_days": 3.0, "resolution_count": 1,
         "resolution_mean_days": 10.0},
        {"month": "2026-02", "root_cause_count": 0, "root_cause_mean_days": None, "resolution_count": 1,
         "resolution_mean_days": 30.0},
        {"month": "2026-03", "root_cause_count": 1, "root_cause_mean_days": 28.0, "resolution_count": 0,
         "resolution_mean_days": None},
    ]


def test_a_reopened_problem_no_longer_counts_as_resolved(agent, problem_manager):
    problem = move(problem_manager, make_problem(agent), "resolve", **RESOLVE)
    set_instants(problem, opened_at=at(1, 1), resolved_at=at(1, 2))
    move(problem_manager, problem, "reopen")

    assert [row["resolution_count"] for row in reports.mean_times(PERIOD)] == [0, 0, 0]


def test_incidents_per_problem_distribution_and_the_problems_with_most(agent, problem_manager):
    three = services.problem_from_incidents(actor=agent, incidents=[make_incident(agent) for _ in range(3)])
    one = services.problem_from_incidents(actor=agent, incidents=[make_incident(agent)])
    make_problem(agent)  # none linked
    cancelled = services.problem_from_incidents(actor=agent, incidents=[make_incident(agent) for _ in range(5)])
    move(problem_manager, cancelled, "cancel", cancel_reason="Duplicate.")

    assert [(row["band"], row["count"]) for row in reports.incidents_per_problem()] == [
        ("0", 1), ("1", 1), ("2to4", 1), ("5to9", 0), ("10plus", 0)]
    assert [(row["number"], row["incidents"]) for row in reports.top_problems()] == [
        (three.number, 3), (one.number, 1)]


def test_known_errors_by_age_and_the_stale_ones(known_errors, settings):
    settings.KNOWN_ERROR_STALE_DAYS = 90

    assert [(row["band"], row["count"], row["stale"]) for row in reports.known_errors_by_age()] == [
        ("lt7", 1, 0), ("7to30", 1, 0), ("30to90", 0, 0), ("90to180", 1, 1), ("gt180", 1, 0)]
    assert [(row["number"], row["age_days"]) for row in reports.stale_known_errors()] == [(known_errors.number, 100)]

    settings.KNOWN_ERROR_STALE_DAYS = 120
    assert reports.stale_known_errors() == []


def test_recurring_unlinked_incidents_are_the_groups_trend_detection_sees(agent, settings):
    settings.PROBLEM_TREND_THRESHOLD = 3
    printing, printer = Category.objects.create(name="Printing"), make_ci(name="Printer 4F")
    recurring = [make_incident(agent, short_description=text, cis=[printer], category=printing)
                 for text in ("Paper jam", "Toner streaks", "Offline again", "Blank pages")]
    services.problem_from_incidents(actor=agent, incidents=[recurring[3]])  # linked: not counted
    make_incident(agent, short_description="Scanner broken", category=printing)

    result = reports.recurring_unlinked()

    assert (result["window_days"], result["threshold"]) == (30, 3)
    [group] = result["groups"]
    assert (group["basis"], group["incidents"], group["proposal"]) == ("ci_category", 3, "")
    assert "Printer 4F" in group["title"]
    assert group["first_opened_at"] <= group["last_opened_at"]

    services.trend_detect(threshold=3)
    assert reports.recurring_unlinked()["groups"][0]["proposal"] == "pending"


# --- the page, its exports and the API --------------------------------------------------------------

def test_the_page_shows_every_table_with_the_chart_data(client, agent, open_problems, known_errors):
    client.force_login(agent)

    response = client.get(reverse("problem_reports") + QUERY)

    assert response.status_code == 200
    content = response.content.decode()
    for anchor in ("open-age", "open-state", "times", "incidents-per-problem", "top-problems", "known-errors",
                   "stale", "recurring"):
        assert f'id="{anchor}"' in content
    chart = response.context["chart"]
    assert chart["age"]["series"][0] == {"name": "P1", "values": [1, 0, 0, 0, 0]}
    assert [s["values"] for s in chart["known_errors"]["series"]] == [[1, 1, 0, 0, 1], [0, 0, 0, 1, 0]]
    assert known_errors.number in content


def test_auditors_read_the_page_requesters_do_not(client, auditor, requester):
    client.force_login(auditor)
    assert client.get(reverse("problem_reports")).status_code == 200
    client.force_login(requester)
    assert client.get(reverse("problem_reports")).status_code == 403


def test_a_table_downloads_as_csv(client, agent, open_problems):
    client.force_login(agent)

    response = client.get(reverse("problem_reports") + QUERY + "&export=open_age")

    assert response["Content-Disposition"] == 'attachment; filename="problems-open-by-age-2026-01-01-2026-03-31.csv"'
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "Age,P1,P2,P3,P4,P5,Open"
    assert lines[1:] == ["< 7 days,1,0,0,0,0,1", "7–30 days,0,0,1,0,0,1", "30–90 days,0,0,1,0,0,1",
                         "90–180 days,0,0,0,0,0,0", "> 180 days,0,0,0,0,1,1"]


def test_every_table_downloads_as_one_workbook(client, auditor, timed):
    from openpyxl import load_workbook

    client.force_login(auditor)

    response = client.get(reverse("problem_reports") + QUERY + "&export=xlsx")

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["open_age", "open_state", "times", "incidents_per_problem", "top_problems",
                               "known_errors", "stale", "recurring"]
    times = list(book["times"].values)
    assert times[0][:3] == ("Month", "Root causes found", "Mean days to root cause")
    assert times[1] == ("2026-01", 2, 3, 1, 10)


def test_the_api_serves_the_same_figures(api, auditor, open_problems, timed):
    api.force_authenticate(auditor)

    opened = api.get(reverse("api:problems:report-open")).json()
    times = api.get(reverse("api:problems:report-times") + QUERY).json()

    assert opened["by_age"] == reports.open_by_age_and_priority()
    assert [(row["label"], row["count"]) for row in opened["by_priority"]] == [
        (row["label"], row["count"]) for row in reports.open_by_priority(reports.open_by_age_and_priority())]
    assert times["start"] == "2026-01-01" and times["rows"] == reports.mean_times(PERIOD)
    for name in ("report-incidents-per-problem", "report-known-errors", "report-recurring"):
        assert api.get(reverse(f"api:problems:{name}")).status_code == 200


def test_the_api_refuses_a_period_that_ends_before_it_starts(api, agent):
    api.force_authenticate(agent)

    response = api.get(reverse("api:problems:report-times") + "?start=2026-03-01&end=2026-01-01")

    assert response.status_code == 400


def test_requesters_get_no_report_from_the_api(api, requester):
    api.force_authenticate(requester)

    assert api.get(reverse("api:problems:report-open")).status_code == 403


def _queries_for_page(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("problem_reports") + QUERY).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_few_and_many_problems(client, agent, problem_manager):
    client.force_login(agent)
    printing = Category.objects.create(name="Printing")

    def add(count):
        for n in range(count):
            problem = publish(problem_manager, services.problem_from_incidents(
                actor=agent, incidents=[make_incident(agent, category=printing, cis=[make_ci()])]))
            if n % 2:
                move(problem_manager, problem, "resolve", **RESOLVE)
        for _ in range(count):
            make_incident(agent, category=printing, cis=[make_ci(name=f"Printer {count}")])

    add(3)
    few = _queries_for_page(client)
    add(9)
    many = _queries_for_page(client)

    assert few == many
    assert Problem.objects.filter(state=ProblemState.RESOLVED).count() == 5
