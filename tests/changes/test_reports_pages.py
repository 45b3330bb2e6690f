"""The change report page (charts' data, CSV, XLSX), the report API, who may read them, the menu
entry, and a constant number of queries whatever the number of changes."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from changes import reports
from changes.views.reports import EXPORTS, register_menu
from itsm.navigation import items_for
from tests.changes.factories import make_change
from tests.changes.factories_reports import (
    MONTHS,
    QUERY,
    at,
    authorisation,
    conflict,
    finished,
    implemented,
    raised,
    unauthorised,
)
from tests.config_items.factories import make_ci, make_service
from tests.factories import TeamFactory
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db
API_REPORTS = ("success", "emergency", "model-risk", "approval-lead-time", "incidents-caused", "unauthorised",
               "overrides")


@pytest.fixture
def quarter(agent, change_manager, cab_member):
    """A little of everything in Q1 2026."""
    finished(agent, "successful", at(1, 7))
    finished(agent, "failed", at(2, 7))
    finished(agent, "cancelled", at(2, 8))
    urgent = raised(agent, at(1, 9), model="emergency", risk="high")
    authorisation(urgent, cab_member, requested=at(1, 9, 8), completed=at(1, 9, 11))
    implemented(agent, at(1, 12), caused_incidents=[make_incident(agent)])
    unauthorised(make_ci(name="db-01", type_slug="server"), at(2, 1))
    conflict(urgent, "blackout", overridden=at(1, 10), by=change_manager, reason="Outage fix")
    return urgent


def _csv(response) -> list[str]:
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


def test_the_page_shows_every_table_with_the_chart_data(client, change_manager, quarter):
    client.force_login(change_manager)

    response = client.get(reverse("change_reports") + QUERY)

    assert response.status_code == 200
    content = response.content.decode()
    for anchor in ("success-trend", "success-codes", "emergency", "model-risk", "lead-time", "incidents-by-model",
                   "incidents-by-change", "unauthorised-states", "unauthorised-cis", "overrides-kinds", "overrides"):
        assert f'id="{anchor}"' in content
    assert 'id="report-data"' in content and "js/change-reports.js" in content
    assert '<div class="h1 mb-0" id="success-rate">50.0 %</div>' in content
    chart = response.context["chart"]
    assert chart["success"]["labels"] == ["2026-01", "2026-02", "2026-03"]
    assert chart["success"]["line"]["values"] == [100.0, 0.0, None]
    assert chart["emergency"]["bars"][1]["values"] == [1, 0, 0]
    high = next(series for series in chart["model_risk"]["series"] if series["name"] == "High")
    assert (high["values"], high["colour"]) == ([0, 0, 1], "#f76707")  # standard, normal, emergency
    assert chart["lead_time"]["series"][0]["values"] == [None, None, 3.0]
    assert "Outage fix" in content and quarter.number in content


def test_auditors_read_the_page_requesters_do_not(client, auditor, requester):
    client.force_login(auditor)
    assert client.get(reverse("change_reports")).status_code == 200
    client.force_login(requester)
    assert client.get(reverse("change_reports")).status_code == 403


def test_a_wrong_period_shows_why_and_the_default_figures(client, agent):
    client.force_login(agent)

    response = client.get(reverse("change_reports") + "?start=2026-03-01&end=2026-01-01")

    assert response.status_code == 200
    assert "The start of the period must not be after its end." in response.content.decode()
    assert response.context["scope"] == reports.default_scope()


def test_a_table_downloads_as_csv_with_the_filters(client, agent, quarter):
    client.force_login(agent)

    response = client.get(reverse("change_reports") + QUERY + "&export=success_trend")

    assert response["Content-Disposition"] == 'attachment; filename="changes-success-rate-2026-01-05-2026-03-29.csv"'
    assert _csv(response) == ["From,Implemented,Successful,Success rate (%)", "2026-01,1,1,100.0",
                              "2026-02,1,0,0.0", "2026-03,0,0,"]
    other = TeamFactory()
    filtered = client.get(reverse("change_reports") + QUERY + f"&group={other.pk}&export=success_trend")
    assert _csv(filtered)[1:] == ["2026-01,0,0,", "2026-02,0,0,", "2026-03,0,0,"]


def test_every_table_of_the_page_downloads(client, agent, quarter):
    client.force_login(agent)
    content = client.get(reverse("change_reports") + QUERY).content.decode()

    for name, (stem, _section, _rows, columns) in EXPORTS.items():
        assert f"export={name}\"" in content
        response = client.get(reverse("change_reports") + QUERY + f"&export={name}")
        assert response["Content-Disposition"].startswith(f'attachment; filename="{stem}-2026-01-05')
        assert _csv(response)[0] == ",".join(str(column.header) for column in columns())


def test_every_override_downloads_with_its_reason(client, agent, change_manager, quarter):
    client.force_login(agent)

    lines = _csv(client.get(reverse("change_reports") + QUERY + "&export=overrides"))

    assert lines[0] == "Overridden,Change,Short description,Conflict,Cause,Other change,Reason,Overridden by"
    assert len(lines) == 2 and lines[1].split(",")[1] == quarter.number
    assert lines[1].endswith(f",Outage fix,{change_manager}")


def test_every_table_downloads_as_one_workbook(client, auditor, quarter):
    from openpyxl import load_workbook

    client.force_login(auditor)

    response = client.get(reverse("change_reports") + QUERY + "&export=xlsx")

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["success_codes", "success_trend", "emergency", "model_risk", "lead_time",
                               "incidents_by_model", "incidents_by_change", "unauthorised_states",
                               "unauthorised_cis", "override_kinds", "overrides"]
    assert list(book["success_trend"].values)[1] == ("2026-01", 1, 1, 100)
    lead = list(book["lead_time"].values)
    assert lead[0] == ("Change model", "Approved", "Median (hours)", "90th percentile (hours)", "Rejected")
    assert lead[3] == ("Emergency", 1, 3, 3, 0)
    assert list(book["model_risk"].values)[-1][0] == "All changes"
    assert list(book["overrides"].values)[1][1:4] == (quarter.number, quarter.short_description, "Inside a blackout window")


def test_the_exports_neutralise_formulas(client, agent):
    from openpyxl import load_workbook

    formula = "=cmd|' /C calc'!A0"
    implemented(agent, at(1, 12), short_description=formula, caused_incidents=[make_incident(agent)])
    client.force_login(agent)

    book = load_workbook(io.BytesIO(client.get(reverse("change_reports") + QUERY + "&export=xlsx").content))
    assert list(book["incidents_by_change"].values)[1][1] == "'" + formula
    lines = _csv(client.get(reverse("change_reports") + QUERY + "&export=incidents_by_change"))
    assert "'=cmd" in lines[1] and ",=cmd" not in lines[1]


def test_the_api_serves_the_same_figures(api, auditor, quarter):
    api.force_authenticate(auditor)

    success = api.get(reverse("api:changes:report-success") + QUERY).json()
    lead = api.get(reverse("api:changes:report-approval-lead-time") + QUERY).json()

    assert (success["start"], success["end"], success["interval"], success["service"]) == (
        "2026-01-05", "2026-03-29", "month", None)
    assert success["summary"] == {"implemented": 2, "successful": 1, "cancelled": 1, "rate": 50.0}
    assert success["trend"] == reports.success(MONTHS)["trend"]
    assert lead["rows"] == reports.lead_time(MONTHS)
    for name in API_REPORTS:
        assert api.get(reverse(f"api:changes:report-{name}") + QUERY).status_code == 200
    overrides = api.get(reverse("api:changes:report-overrides") + QUERY).json()
    assert overrides["rows"][0]["reason"] == "Outage fix"


def test_the_api_filters_by_service_and_group(api, agent):
    mail, team = make_service(name="Mail"), TeamFactory()
    finished(agent, "successful", at(1, 7), services=[mail], assignment_group=team)
    finished(agent, "failed", at(1, 8))
    api.force_authenticate(agent)

    def rate(query):
        return api.get(reverse("api:changes:report-success") + QUERY + query).json()["summary"]["rate"]

    assert (rate(""), rate(f"&service={mail.pk}"), rate(f"&group={team.pk}")) == (50.0, 100.0, 100.0)


@pytest.mark.parametrize("query, field", [
    ("?start=2026-03-01&end=2026-01-01", "non_field_errors"),
    ("?start=2020-01-01&end=2026-01-01", "non_field_errors"),
    ("?service=999999", "service"),
    ("?interval=day", "interval"),
])
def test_the_api_refuses_a_wrong_scope(api, agent, query, field):
    api.force_authenticate(agent)

    response = api.get(reverse("api:changes:report-emergency") + query)

    assert response.status_code == 400 and field in response.json()["error"]["fields"]


def test_the_api_refuses_a_ci_that_is_no_service(api, agent):
    api.force_authenticate(agent)
    server = make_ci(type_slug="server")

    assert api.get(reverse("api:changes:report-success") + f"?service={server.pk}").status_code == 400


def test_requesters_get_no_report_from_the_api(api, requester):
    api.force_authenticate(requester)

    for name in API_REPORTS:
        assert api.get(reverse(f"api:changes:report-{name}")).status_code == 403


def test_the_menu_offers_the_reports_to_staff(make_user, auditor, requester, agent):
    register_menu()

    assert "change_reports" in [item.url_name for item in items_for(auditor)]
    assert "change_reports" in [item.url_name for item in items_for(agent)]
    assert "change_reports" not in [item.url_name for item in items_for(requester)]


# --- a constant number of queries ------------------------------------------------------------------

def _add(count, agent, manager, approver, team, service):
    for n in range(count):
        common = {"assignment_group": team, "services": [service]}
        finished(agent, ("successful", "failed", "cancelled")[n % 3], at(1 + n % 3, 10), **common)
        change = raised(agent, at(2, 1 + n % 20), model=("normal", "emergency")[n % 2], risk="low", **common)
        authorisation(change, approver, requested=at(2, 1), completed=at(2, 2, n % 12), outcome=("approve", "reject")[n % 2])
        implemented(agent, at(3, 2), caused_incidents=[make_incident(agent)], **common)
        conflict(change, "same_ci", overridden=at(2, 5), by=manager, reason="Needed", other=make_change(agent))
        unauthorised(make_ci(), at(2, 6))


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("extra", ["", "&export=xlsx", "&export=overrides", "&interval=week"])
def test_the_page_costs_the_same_queries_for_few_and_many_changes(client, agent, change_manager, cab_member, extra):
    team, service = TeamFactory(), make_service(name="Mail")
    client.force_login(agent)
    for query in (QUERY, QUERY + f"&group={team.pk}&service={service.pk}"):
        url = reverse("change_reports") + query + extra
        _add(2, agent, change_manager, cab_member, team, service)
        few = _queries(client, url)
        _add(6, agent, change_manager, cab_member, team, service)
        assert _queries(client, url) == few
