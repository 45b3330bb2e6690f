"""The SLA clock counts down live (static/js/sla-clock.js) on the incident page (every second)
and in the queue (every 30 s): the markup it reads, and the countdown in a real browser."""

import re
import time
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from itsm.services import system_actor
from slas import services as sla
from slas.models import Calendar, Timer
from tests.incidents.factories import make_incident

H = timedelta(hours=1)


def agreement_with(goal, calendar=None, metric="resolution"):
    system = system_actor()
    agreement = sla.agreement_create(actor=system, data={"name": "Standard", "valid_from": date(2020, 1, 1)})
    sla.target_create(actor=system, data={
        "agreement": agreement, "calendar": calendar or Calendar.objects.get(name="24×7"), "record_type": "incident",
        "name": "Resolve", "metric": metric, "goal": goal, "pause_states": ["on_hold"]})


def one_hour_a_day():
    """A calendar open one hour a day (00:00–01:00 UTC): a 2 h goal is due days later."""
    hours = {day: [["00:00", "01:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    return sla.calendar_create(actor=system_actor(), data={"name": "One hour", "time_zone": "UTC",
                                                           "weekly_hours": hours})


# --- markup ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_running_clock_carries_its_due_instant_state_and_pace(client, agent):
    agreement_with(2 * H, calendar=one_hour_a_day())
    incident = make_incident(agent)
    timer = Timer.objects.get(object_id=incident.pk)
    due = timezone.localtime(timer.due_at).isoformat()
    client.force_login(agent)

    page = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()
    queue = client.get(reverse("incident_list"), {"queue": "open"}).content.decode()

    clock = re.search(r'<span class="sla-countdown" data-sla-clock[^>]*>[^<]*</span>', page).group(0)
    assert 'data-sla-state="running"' in clock and 'data-sla-paused="false"' in clock
    assert f'data-sla-due="{due}"' in clock and 'data-sla-interval="1"' in clock
    # The due instant lies days away on the wall clock though only 2 h of business time are left:
    # the countdown (and its server-rendered first text) is wall-clock time, the tooltip says so.
    assert re.search(r">\d+ d( \d+ h)?( \d+ min)? left</span>$", clock), clock
    assert "Wall-clock time until the due instant" in clock and "(2 h of it left)" in clock
    assert "One hour" in clock
    row = re.search(r'<span class="sla-countdown" data-sla-clock[^>]*>', queue).group(0)
    assert 'data-sla-interval="30"' in row and f'data-sla-due="{timer.due_at.isoformat()}"' in row
    assert "of business time left" in row


@pytest.mark.django_db
def test_a_paused_clock_does_not_tick(client, agent):
    agreement_with(2 * H)
    incident = make_incident(agent)
    services.incident_transition(actor=agent, incident=incident, name="hold", data={"on_hold_reason": "awaiting_caller"})
    client.force_login(agent)

    page = client.get(reverse("incident_detail", args=[incident.pk])).content.decode()

    clock = re.search(r"<span data-sla-clock[^>]*>", page).group(0)
    assert 'data-sla-state="paused"' in clock and 'data-sla-paused="true"' in clock
    assert "data-sla-due" not in clock


# --- in a browser ---------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_clocks_count_down_without_a_reload_and_turn_overdue(page, sign_in, make_user):
    from playwright.sync_api import expect

    from itsm.choices import Role

    agent = make_user(Role.AGENT, username="agent")
    agreement_with(30 * timedelta(minutes=1))
    running = make_incident(agent, short_description="running")
    held = make_incident(agent, short_description="held")
    services.incident_transition(actor=agent, incident=held, name="hold", data={"on_hold_reason": "awaiting_caller"})
    sign_in(page, agent)
    page.clock.install(time=time.time())  # the page's timers under the test's hand

    page.goto(reverse("incident_list") + "?queue=open")
    countdown = page.locator(f"tr[data-incident='{running.number}'] [data-sla-clock]")
    expect(countdown).to_have_text(re.compile(r"^(29|30) min( \d+ s)? left$"))
    page.clock.run_for(2_000)
    first = countdown.text_content()
    assert re.fullmatch(r"29 min \d+ s left", first), first
    page.clock.run_for(10_000)  # the queue moves every 30 s
    expect(countdown).to_have_text(first)
    page.clock.run_for(25_000)
    expect(countdown).not_to_have_text(first)

    page.goto(reverse("incident_detail", args=[running.pk]))
    countdown = page.locator("#sla-clocks [data-sla-clock]")
    page.clock.run_for(2_000)
    before = countdown.text_content()
    page.clock.run_for(2_000)  # the incident page moves every second
    expect(countdown).not_to_have_text(before)
    page.clock.fast_forward("31:00")  # past the due instant, still without a reload
    page.clock.run_for(1_000)
    expect(countdown).to_have_text(re.compile(r"^\d+ min( \d+ s)? overdue$"))
    expect(countdown).to_have_class(re.compile(r"\btext-red\b"))

    page.goto(reverse("incident_detail", args=[held.pk]))
    paused = page.locator("#sla-clocks [data-sla-clock]")
    text = paused.text_content()
    page.clock.run_for(5_000)
    expect(paused).to_have_text(text)
    assert "Paused" in text
