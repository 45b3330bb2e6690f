"""The operators' admin of service levels: every list and page opens, nothing can be written
through it (calendars, agreements and targets change in /slas/settings/, timers only by the
engine)."""

from datetime import date, timedelta

import pytest

from itsm.services import system_actor
from slas import services
from slas.models import Calendar, Escalation, Target, Timer
from tests.kernel_app.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def always(round_the_clock):
    """The built-in 24×7 calendar is immutable: these tests change theirs, so use one of our own."""
    return round_the_clock


H = timedelta(hours=1)


@pytest.fixture
def operator(client, make_user):
    user = make_user("administrator", username="operator", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def breached(make_target, always):
    """A ticket whose resolution timer breached (events and escalations written by the sweep),
    and a closed day on the 24×7 calendar (a second version)."""
    services.calendar_day_set(actor=system_actor(), calendar=always, date=date(2030, 1, 1), kind="closed",
                              name="New Year")
    make_target(goal=4 * H)
    ticket = make_ticket()
    services.timers_sync(ticket, cause="test", now=ticket.created_at)
    services.timers_sweep(now=ticket.created_at + 5 * H)
    return Timer.objects.get()


@pytest.mark.parametrize("path", ["/admin/slas/calendar/", "/admin/slas/agreement/", "/admin/slas/target/",
                                  "/admin/slas/timer/", "/admin/slas/escalation/"])
def test_the_service_level_lists_open_for_operators_and_offer_no_add(client, operator, breached, path):
    response = client.get(path)

    assert response.status_code == 200
    assert client.get(f"{path}add/").status_code == 403


def test_a_timer_page_shows_its_events_and_escalations_read_only(client, operator, breached):
    response = client.get(f"/admin/slas/timer/{breached.pk}/change/")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="events-heading"' in body and 'id="escalations-heading"' in body
    # start, then the breach and the three thresholds the sweep crossed, each "escalation check"
    assert body.count("escalation check") == breached.events.filter(cause="escalation check").count() == 4
    assert "notify_group_lead" in body  # the escalation at 100 %: its action and outcome
    assert 'name="_save"' not in body


def test_a_calendar_page_shows_its_versions_and_days(client, operator, breached, always):
    response = client.get(f"/admin/slas/calendar/{always.pk}/change/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "New Year" in body and "2030" in body
    assert client.get(f"/admin/slas/calendar/{always.pk}/history/").status_code == 200


def test_nothing_is_written_through_the_sla_admin(client, operator, breached, always):
    target = Target.objects.get()
    escalation = Escalation.objects.first()
    posts = {
        f"/admin/slas/calendar/{always.pk}/change/": {"name": "renamed", "time_zone": "UTC"},
        f"/admin/slas/target/{target.pk}/change/": {"name": "renamed"},
        f"/admin/slas/timer/{breached.pk}/change/": {"state": "met"},
        f"/admin/slas/timer/{breached.pk}/delete/": {"post": "yes"},
        f"/admin/slas/escalation/{escalation.pk}/delete/": {"post": "yes"},
    }

    for path, data in posts.items():
        assert client.post(path, data).status_code == 403, path

    assert Calendar.objects.filter(name="renamed").count() == 0
    assert Target.objects.get().name != "renamed"
    assert Timer.objects.get().state == breached.state
    assert Escalation.objects.filter(pk=escalation.pk).exists()


def test_searching_timers_by_a_word_finds_nothing_rather_than_failing(client, operator, breached):
    assert client.get("/admin/slas/timer/", {"q": "resolution"}).status_code == 200
    assert client.get("/admin/slas/timer/", {"q": str(breached.object_id)}).status_code == 200
    assert client.get("/admin/slas/escalation/", {"q": "abc"}).status_code == 200
