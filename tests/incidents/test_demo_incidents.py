"""manage.py demo_data loads about 300 incidents over 90 days, through the services, once."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from incidents.choices import OPEN_STATES, IncidentState, Priority
from incidents.demo import ESCALATION_INCIDENT
from incidents.models import Incident
from itsm.models import DomainEvent, JournalEntry, User

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module (it takes seconds) in a transaction rolled back at
    the end; each test runs in a savepoint inside it, as in a Django TestCase class."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True):
            call_command("demo_data", verbosity=0)
        yield
        transaction.set_rollback(True)


def _snapshot():
    # Each run re-arms the escalation incident (a note on its journal, fresh timers): not counted.
    rearmed = Incident.objects.filter(short_description=ESCALATION_INCIDENT).values("pk")
    journal = JournalEntry.objects.exclude(content_type__model="incident", object_id__in=rearmed)
    return (Incident.objects.count(), Incident.history.count(), journal.count(),
            DomainEvent.objects.count())


def test_about_three_hundred_incidents_in_every_state_priority_team_and_service(demo):
    incidents = Incident.objects.all()
    assert 280 <= incidents.count() <= 320
    states = Counter(incidents.values_list("state", flat=True))
    assert set(states) == set(IncidentState.values)
    assert 20 <= sum(states[s] for s in OPEN_STATES) <= 120
    assert states[IncidentState.CLOSED] > states[IncidentState.RESOLVED] > 0
    assert set(incidents.values_list("priority", flat=True)) == set(Priority.values)
    assert set(incidents.values_list("assignment_group__name", flat=True)) >= {
        "Service Desk", "Network Operations", "Application Support"}
    assert set(incidents.exclude(service=None).values_list("service__external_id", flat=True)) == {
        "svc-shop", "svc-erp", "svc-email", "svc-sso", "svc-dbplatform"}
    assert set(incidents.exclude(customer=None).values_list("customer__code", flat=True)) >= {"acme", "globex"}
    assert incidents.exclude(subcategory=None).values("category").distinct().count() >= 5
    assignees = set(incidents.exclude(assignee=None).values_list("assignee__username", flat=True))
    assert {"agent", "netagent", "appagent"} <= assignees


def test_instants_spread_over_ninety_days_in_order(demo):
    now = timezone.now()
    incidents = Incident.objects.all()
    opened = sorted(incidents.values_list("opened_at", flat=True))
    assert now - timedelta(days=91) < opened[0] < now - timedelta(days=80)
    assert opened[-1] < now
    assert incidents.filter(opened_at__lt=now - timedelta(days=30)).count() > 100
    for incident in incidents:
        assert incident.created_at == incident.opened_at
        if incident.first_response_at:
            assert incident.opened_at <= incident.first_response_at <= now
        if incident.resolved_at:
            assert incident.opened_at <= incident.resolved_at <= now
        if incident.closed_at:
            assert incident.opened_at <= incident.closed_at <= now
        assert incident.opened_at <= incident.updated_at <= now
    # Nothing resolved waits longer than the auto-close days; closed ones were resolved first.
    assert not incidents.filter(state=IncidentState.RESOLVED, resolved_at__lt=now - timedelta(days=3)).exists()
    assert not incidents.filter(state=IncidentState.CLOSED, resolved_at=None).exists()
    assert not incidents.filter(state__in=OPEN_STATES, closed_at__isnull=False).exists()


def test_history_journal_and_events_are_the_real_ones_moved_into_the_past(demo):
    closed = Incident.objects.filter(state=IncidentState.CLOSED, parent=None, is_major=False).first()
    history = list(closed.history.order_by("history_date", "history_id"))
    assert history[0].history_type == "+" and history[0].history_date == closed.opened_at
    assert history[-1].state == IncidentState.CLOSED and history[-1].history_date == closed.closed_at
    entries = JournalEntry.objects.filter(object_id=closed.pk, content_type__model="incident")
    assert entries.filter(kind="state_change").count() >= 3
    assert all(closed.opened_at <= e.created_at <= closed.closed_at for e in entries)
    assert DomainEvent.objects.filter(name="incident.created", object_id=closed.pk).get().created_at == \
        closed.opened_at


def test_major_incidents_with_children_monitoring_alerts_and_requester_comments(demo):
    majors = Incident.objects.filter(is_major=True)
    assert majors.count() == 2
    assert {m.state for m in majors} == {IncidentState.CLOSED, IncidentState.IN_PROGRESS}
    for major in majors:
        assert major.children.count() >= 3
        assert {child.state for child in major.children.all()} == {major.state if major.state == "closed"
                                                                    else IncidentState.NEW}
    alerts = Incident.objects.exclude(correlation_key="")
    assert alerts.filter(alert_count__gt=1).count() >= 5
    assert alerts.filter(state__in=OPEN_STATES).count() == 3
    assert alerts.values("correlation_key").distinct().count() < alerts.count()  # a key that came back
    requester = User.objects.get(username="requester")
    assert JournalEntry.objects.filter(author=requester, kind="comment", content_type__model="incident").count() >= 5
    assert Incident.objects.filter(caller=requester, channel="portal").count() >= 10


def test_a_second_run_adds_nothing(demo, settings):
    settings.DEBUG = True
    before = _snapshot()

    call_command("demo_data", verbosity=0)

    assert _snapshot() == before
