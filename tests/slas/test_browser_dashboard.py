"""The SLA dashboard in real headless Chromium: ECharts (served locally) draws both charts."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from itsm.choices import Role
from slas import services as sla
from tests.config_items.factories import make_service
from tests.incidents.factories import make_incident, resolve
from tests.slas.test_reports import H, make_agreements

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_manager_sees_the_trend_and_service_charts_without_console_errors(page, sign_in, make_user):
    lead = make_user(Role.TEAM_LEAD, username="lead")
    mail = make_service(name="Mail")
    acme = make_agreements(services=[mail])["acme"]
    resolve(lead, make_incident(lead, customer=acme, service=mail))
    make_incident(lead, customer=acme, service=mail)
    sla.timers_sweep(now=timezone.now() + 1.5 * H)  # the second one's response is breached
    today = timezone.localdate()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    sign_in(page, lead)

    page.goto(f"/slas/?period=custom&start={today - timedelta(days=1)}&end={today + timedelta(days=1)}")

    expect(page.get_by_role("heading", level=1)).to_have_text("Service levels")
    for chart in ("trend", "services"):
        container = page.locator(f"[data-sla-chart={chart}]")
        expect(container).to_have_class("sla-chart sla-chart-ready")
        expect(container.locator("svg").first).to_be_visible()
    expect(page.locator("#breached-total")).to_have_text("1")
    trend_texts = page.locator("[data-sla-chart=trend] svg text").all_text_contents()
    assert {"Week of", "Attainment %", "Breaches"} <= set(trend_texts), trend_texts
    # The weeks read "Nov 30", not 2026-11-30.
    assert not [text for text in trend_texts if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)], trend_texts
    assert [text for text in trend_texts if re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", text)], trend_texts
    service_texts = page.locator("[data-sla-chart=services] svg text").all_text_contents()
    assert {"Mail", "Service", "100 %"} <= set(service_texts), service_texts
    assert errors == []


def test_choosing_a_day_makes_the_period_custom(page, sign_in, make_user):
    sign_in(page, make_user(Role.AUDITOR, username="auditor"))
    page.goto("/slas/")
    expect(page.get_by_label("Period")).to_have_value("12w")  # the default: the last 12 weeks

    page.get_by_label("From").fill("2026-11-02")

    expect(page.get_by_label("Period")).to_have_value("custom")
