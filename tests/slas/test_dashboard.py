"""The managers' SLA dashboard (/slas/) and the monthly service-level report, in the browser."""

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from itsm.models import DomainEvent
from slas import reports
from slas import services as sla
from tests.assertions import assert_nothing_written
from tests.config_items.factories import make_service
from tests.incidents.factories import make_incident, resolve
from tests.slas.test_reports import H, make_agreements, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
NOVEMBER = {"period": "custom", "start": "2026-11-01", "end": "2026-11-30"}


def test_the_dashboard_shows_attainment_breaches_and_times(client, auditor, world):  # noqa: F811
    i3 = world["incidents"][2]
    client.force_login(auditor)

    page = client.get(reverse("sla_dashboard"), NOVEMBER)

    assert page.status_code == 200
    html = page.content.decode()
    assert '<div class="h1 mb-0">42.9 %</div>' in html
    assert '<div class="h1 mb-0" id="breached-total">4</div>' in html
    assert f'<a href="{reverse("incident_detail", kwargs={"pk": i3.pk})}">{i3.number}</a>' in html
    assert "Paused: Awaiting vendor" in html and "Threshold reached (90 %)" in html
    assert "<tr><td>Acme</td><td class=\"text-end\">3</td><td class=\"text-end\">3</td>" in html
    assert 'id="sla-chart-data"' in html and "vendor/echarts/echarts.min.js" in html
    assert "<script>" not in html  # charts come from static/js/sla-dashboard.js (strict CSP)


def test_the_service_filter_holds_only_the_chosen_service_and_searches_the_others(client, agent):
    mail, payroll = make_service(name="Mail"), make_service(name="Payroll")
    client.force_login(agent)

    html = client.get(reverse("sla_dashboard"), {"service": mail.pk}).content.decode()

    select = html[html.index('<select name="service"'):]
    select = select[:select.index("</select>")]
    assert f'value="{mail.pk}" selected' in select and f'value="{payroll.pk}"' not in select
    assert f'data-search-url="{reverse("ci_search")}?service=1"' in select


def test_requesters_may_not_see_the_dashboard(client, requester):
    client.force_login(requester)

    assert client.get(reverse("sla_dashboard")).status_code == 403
    assert client.get(reverse("sla_report")).status_code == 403


def test_a_wrong_period_says_why_and_shows_the_default_period(client, agent):
    client.force_login(agent)

    page = client.get(reverse("sla_dashboard"), {"period": "custom", "start": "2026-11-30", "end": "2026-11-01"})

    assert page.status_code == 200
    assert "The start of the period must not be after its end." in page.content.decode()
    assert page.context["filters"].start == reports.last_weeks()[0]


def test_without_a_period_the_dashboard_shows_the_last_12_weeks(client, agent):
    client.force_login(agent)
    today = timezone.localdate()

    page = client.get(reverse("sla_dashboard"))

    filters = page.context["filters"]
    assert (filters.start.weekday(), (filters.end - filters.start).days // 7, filters.end) == (0, 11, today)
    assert filters.start > today - timedelta(weeks=12)
    assert '<option value="12w" selected>Last 12 weeks</option>' in page.content.decode()
    weeks = page.context["chart"]["trend"]["weeks"]  # every week on the chart's axis, quiet ones too
    assert (len(weeks), weeks[0], page.context["chart"]["trend"]["breached"]) == (12, filters.start.isoformat(), [0] * 12)


def many_breaches(agent, count):
    """`count` incidents whose response (4 h) was breached an hour ago."""
    from slas.models import Timer

    make_agreements()
    for n in range(count):
        make_incident(agent, short_description=f"slow {n}")
    Timer.objects.update(started_at=F("started_at") - 5 * H, counted_until=F("counted_until") - 5 * H,
                         due_at=F("due_at") - 5 * H, next_check_at=timezone.now())
    sla.timers_sweep(now=timezone.now())


def test_the_breaches_are_paged_in_a_constant_number_of_queries(client, auditor, agent):
    many_breaches(agent, 30)
    client.force_login(auditor)
    url = reverse("sla_dashboard")
    client.get(url)  # warm caches (content types, sessions)

    with CaptureQueriesContext(connection) as first_page:
        first = client.get(url)
    with CaptureQueriesContext(connection) as second_page:
        second = client.get(url, {"page": 2})

    assert len(first.context["breaches"]) == 25 and len(second.context["breaches"]) == 5
    assert len(first_page.captured_queries) == len(second_page.captured_queries)
    assert {r["record"] for r in first.context["breaches"]}.isdisjoint(r["record"] for r in second.context["breaches"])
    html = second.content.decode()
    assert "Showing 26 to 30 of 30 rows" in html and "Page 2 of 2" in html
    assert 'href="?page=1"' in html  # back to the first page, filters kept


def test_each_table_exports_as_csv(client, agent, world):  # noqa: F811
    client.force_login(agent)

    answer = client.get(reverse("sla_dashboard"), {**NOVEMBER, "export": "by_customer"})

    assert answer["Content-Disposition"] == (
        'attachment; filename="sla-attainment-by-customer-2026-11-01-2026-11-30.csv"')
    lines = b"".join(answer.streaming_content).decode("utf-8-sig").splitlines()
    assert lines == ["Customer,Met,Breached,Attainment %", "Acme,3,3,50.0", "Globex,0,1,0.0"]


def test_every_table_in_one_workbook(client, agent, world):  # noqa: F811
    from openpyxl import load_workbook

    client.force_login(agent)

    answer = client.get(reverse("sla_dashboard"), {**NOVEMBER, "export": "xlsx"})

    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["by_service", "by_customer", "by_priority", "by_team", "by_month", "trend",
                               "durations", "breaches", "at_risk", "ola_by_team", "ola_breaches"]
    assert [list(row) for row in book["by_team"].values] == [
        ["Team", "Met", "Breached", "Attainment %"], ["Network", 3, 1, 75], ["(none)", 0, 3, 0]]
    assert book["breaches"].max_row == 5  # the header and four breaches


def _queries_of_the_dashboard(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("sla_dashboard"), {"period": "30"}).status_code == 200
    return len(queries)


def _log_some(agent, acme, count):
    for _number in range(count):
        met = make_incident(agent, customer=acme)
        resolve(agent, met)
        make_incident(agent, customer=acme)  # breached by the sweep below, still open
    sla.timers_sweep(now=timezone.now() + 1.5 * H)


def test_the_dashboard_reads_a_constant_number_of_queries_as_timers_grow(client, agent):
    acme = make_agreements()["acme"]
    client.force_login(agent)
    _log_some(agent, acme, 2)
    few = _queries_of_the_dashboard(client)

    _log_some(agent, acme, 6)

    assert _queries_of_the_dashboard(client) == few


def test_the_monthly_report_prints_targets_attainment_and_who_generated_it(client, auditor, world):  # noqa: F811
    client.force_login(auditor)
    gold = world["gold"]

    page = client.get(reverse("sla_report"), {"agreement": gold.pk, "month": "2026-11"})

    html = page.content.decode()
    assert page.status_code == 200
    assert "css/sla-print.css" in html
    assert "<h2 class=\"h2\">Acme Gold — 2026-11</h2>" in html
    assert "50.0 %" in html and "3 met, 3 breached" in html
    assert "<td>Acme Gold resolve</td>\n          <td>Resolution</td><td>8.0 h</td><td>24×7</td>" in html
    assert "66.7 %" in html and "33.3 %" in html
    assert f"Generated by {auditor.get_full_name()} at" in html
    [event] = DomainEvent.objects.filter(name="sla.report_generated")
    assert (event.actor, event.payload["month"], event.payload["agreement"]) == (auditor, "2026-11", gold.pk)


def test_the_print_stylesheet_hides_the_application_around_the_report():
    from django.contrib.staticfiles import finders

    css = open(finders.find("css/sla-print.css"), encoding="utf-8").read()

    assert "@media print" in css and ".d-print-none" in css


def test_the_report_page_without_an_agreement_offers_the_choice_and_records_nothing(client, agent, world):  # noqa: F811
    client.force_login(agent)

    with assert_nothing_written():
        page = client.get(reverse("sla_report"))

    assert page.status_code == 200
    assert '<option value="%d">Acme Gold — Acme</option>' % world["gold"].pk in page.content.decode()


def test_an_unknown_agreement_or_a_malformed_month_is_not_found(client, agent, world):  # noqa: F811
    client.force_login(agent)

    assert client.get(reverse("sla_report"), {"agreement": 999999, "month": "2026-11"}).status_code == 404
    assert client.get(reverse("sla_report"), {"agreement": world["gold"].pk, "month": "2026-13"}).status_code == 404


def test_the_date_fields_show_the_days_of_the_period_chosen(client, agent):
    client.force_login(agent)
    today = timezone.localdate()

    form = client.get(reverse("sla_dashboard"), {"period": "7"}).context["form"]

    assert (form["start"].value(), form["end"].value()) == (
        (today - timedelta(days=6)).isoformat(), today.isoformat())
