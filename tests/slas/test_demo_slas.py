"""The demo service levels: Shanghai and 24×7 calendars, agreements per demo customer and a
provider default, timers on the demo incidents in every state, and one incident whose target
is minutes away so that `make run` shows the warnings and the breach by itself."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from incidents import demo as incident_demo
from incidents.models import Incident
from slas import services
from slas.calendars import business_calendar
from slas.models import Agreement, Calendar, Escalation, Target, Timer

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo with 120 incidents, loaded once for the module in a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True):
            call_command("demo_data", verbosity=0, incidents=120)
        yield
        transaction.set_rollback(True)


def _snapshot():
    return (Calendar.objects.count(), Agreement.objects.count(), Target.objects.count(), Timer.objects.count(),
            Incident.objects.count(), Escalation.objects.count())


def test_the_shanghai_calendar_knows_china_s_holidays_and_make_up_working_days(demo):
    shanghai = Calendar.objects.get(name="China (Shanghai)")
    calendar = business_calendar(services.current_version(shanghai).definition)

    assert shanghai.time_zone == "Asia/Shanghai"
    assert calendar.intervals_on(date(2025, 10, 1)) == ()  # National Day
    assert calendar.intervals_on(date(2025, 9, 28)) == ((540, 720), (810, 1080))  # a Sunday worked
    assert calendar.intervals_on(date(2025, 9, 29)) == ((540, 720), (810, 1080))


def test_every_demo_customer_has_an_agreement_and_there_is_a_provider_default(demo):
    names = set(Agreement.objects.values_list("customer__code", flat=True))

    assert names == {None, "acme", "globex", "demo-sla"}
    default = Agreement.objects.get(customer__isnull=True)
    assert sorted(default.targets.values_list("name", flat=True)) == sorted(
        f"P{p} {m}" for p in range(1, 6) for m in ("response", "resolution"))
    p3 = default.targets.get(name="P3 resolution")
    assert (p3.calendar.name, p3.goal, p3.pause_states) == ("China (Shanghai)", timedelta(hours=22.5), ["on_hold"])


def test_the_demo_incidents_have_timers_in_every_state(demo):
    states = set(Timer.objects.values_list("state", flat=True))

    assert states == {"running", "paused", "met", "breached", "cancelled"}
    assert Escalation.objects.filter(threshold=100).exists()  # the sweep recorded the old breaches
    paused = Timer.objects.filter(state="paused").first()
    assert paused.pause_reason and paused.due_at is None


def test_the_escalation_incident_is_due_within_minutes(demo):
    incident = Incident.objects.get(short_description=incident_demo.ESCALATION_INCIDENT)
    timer = Timer.objects.get(object_id=incident.pk, metric="resolution")

    assert timer.state == "running" and timer.goal == timedelta(minutes=6)
    assert timezone.now() < timer.due_at <= timezone.now() + timedelta(minutes=10)
    assert timer.next_check_at <= timezone.now() + timedelta(minutes=3)  # the 50 % warning first
    assert incident.assignee.username == "agent"


def test_running_the_demo_again_adds_nothing(demo):
    before = _snapshot()

    with override_settings(DEBUG=True):
        call_command("demo_data", verbosity=0, incidents=120)

    assert _snapshot() == before


def test_each_run_rearms_the_escalation_incident_so_its_clock_starts_again(demo):
    incident = Incident.objects.get(short_description=incident_demo.ESCALATION_INCIDENT)
    old = Timer.objects.get(object_id=incident.pk, metric="resolution")
    # As if the earlier `make run` had been left running: the target passed and the sweep escalated.
    Timer.objects.filter(pk=old.pk).update(due_at=timezone.now() - timedelta(minutes=30),
                                           next_check_at=timezone.now() - timedelta(minutes=30))
    services.timers_sweep(now=timezone.now())
    assert Escalation.objects.filter(timer=old, threshold=100).exists()
    started = timezone.now()

    with override_settings(DEBUG=True):
        call_command("demo_data", verbosity=0, incidents=120)

    incident.refresh_from_db()
    fresh = Timer.objects.get(object_id=incident.pk, metric="resolution")
    assert incident.opened_at >= started and incident.is_open
    assert fresh.pk != old.pk and fresh.state == "running" and not fresh.escalations.exists()
    assert started + timedelta(minutes=5) < fresh.due_at <= timezone.now() + timedelta(minutes=6)
    assert Incident.objects.filter(short_description=incident_demo.ESCALATION_INCIDENT).count() == 1
