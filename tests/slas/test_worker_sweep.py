"""The escalation sweep with real parts: a Celery worker killed with SIGKILL in the middle of a
batch, a second worker and several sweeps at once (as a second beat would send them), on the
configured database (SQLite file or PostgreSQL) and broker (filesystem or Redis)."""

import os
import signal
import time
from collections import Counter
from datetime import date, timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from itsm.celery import app as celery_app
from itsm.models import OutboxMessage
from itsm.services import system_actor
from slas import services as sla
from slas.choices import ActionKind, TimerState
from slas.models import Calendar, Escalation, Timer
from slas.tasks import sweep_timers
from tests.factories import UserFactory
from tests.incidents.factories import make_incident, make_team_with

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SWEEP = sweep_timers.name
INCIDENTS = 200
H = timedelta(hours=1)
NOTIFY = ActionKind.NOTIFY_ASSIGNEE
# Per timer: each threshold recorded once, and its one action (an email to the assignee).
EXPECTED_ROWS = {(50, "record"), (50, NOTIFY), (100, "record"), (100, NOTIFY)}


def incidents_overdue(agent, count):
    """`count` incidents assigned to `agent`, each with one resolution clock that has run ten hours
    of its eight-hour goal without the sweep having looked at it: every threshold is due at once."""
    always = Calendar.objects.get(name="24×7")
    agreement = sla.agreement_create(actor=system_actor(), data={"name": "Standard", "valid_from": date(2020, 1, 1)})
    sla.target_create(actor=system_actor(), data={
        "agreement": agreement, "calendar": always, "record_type": "incident", "name": "Resolve",
        "metric": "resolution", "goal": 8 * H,
        "escalations": [{"percent": 50, "actions": [{"kind": NOTIFY}]},
                        {"percent": 100, "actions": [{"kind": NOTIFY}]}]})
    team = make_team_with(agent)
    caller = UserFactory(roles=["requester"])
    incidents = [make_incident(agent, caller=caller, assignment_group=team, assignee=agent,
                               short_description=f"Printer {n} jammed") for n in range(count)]
    now = timezone.now()
    moved = Timer.objects.filter(object_id__in=[i.pk for i in incidents]).update(
        started_at=now - 10 * H, counted_until=now - 10 * H, due_at=now - 2 * H, next_check_at=now - 6 * H)
    assert moved == count
    return incidents


def due_count():
    return Timer.objects.filter(next_check_at__lte=timezone.now()).count()


def still_due():
    """What a failure message needs about the timers still due."""
    return [(t.pk, t.state, t.next_check_at, t.counted_until, t.breached_at,
             sorted(t.escalations.values_list("threshold", "action")))
            for t in Timer.objects.filter(next_check_at__lte=timezone.now())[:5]]


def sla_emails():
    return OutboxMessage.objects.filter(event__name="incident.sla_escalated")


def test_a_worker_killed_mid_batch_then_a_second_worker_and_beat_notify_every_due_threshold_once(
        worker_factory, agent):
    # given 200 incidents whose clocks all have two thresholds due (50 % and the breach)
    incidents = incidents_overdue(agent, INCIDENTS)
    total = len(EXPECTED_ROWS) * INCIDENTS

    # when a worker sweeps them and is killed (SIGKILL, the whole process group) mid-batch
    first = worker_factory()
    sweep_timers.delay()
    deadline = time.monotonic() + 60
    while (done := Escalation.objects.count()) < total // 10:
        assert first.process.poll() is None, first.failure("the worker died before the kill")
        assert time.monotonic() < deadline, first.failure(f"only {done} escalation rows after 60 s")
        time.sleep(0.01)
    os.killpg(first.process.pid, signal.SIGKILL)
    first.process.wait(timeout=10)
    at_kill = Escalation.objects.count()
    assert 0 < at_kill < total, f"not killed mid-batch: {at_kill} of {total} rows"
    assert first.finished(SWEEP) == []  # the batch never finished

    # and a second worker starts, and three sweeps are sent at once (a retry, a second beat)
    second = worker_factory()
    for _ in range(3):
        sweep_timers.delay()
    second.wait_for_tasks(SWEEP, 3, timeout=60)
    deadline = time.monotonic() + 30
    while due_count():
        assert time.monotonic() < deadline, second.failure(f"{due_count()} timers still due after the sweeps: {still_due()}")
        time.sleep(0.1)

    # then every threshold of every clock was handled exactly once: nothing skipped, nothing twice
    rows = Counter(Escalation.objects.values_list("timer__object_id", "threshold", "action"))
    assert set(rows.values()) == {1}
    by_incident = {}
    for (incident_id, threshold, action) in rows:
        by_incident.setdefault(incident_id, set()).add((threshold, action))
    assert by_incident == {incident.pk: EXPECTED_ROWS for incident in incidents}
    assert set(Timer.objects.values_list("state", flat=True)) == {TimerState.BREACHED}
    # and each notify action was performed: one email to the assignee per incident and threshold
    assert set(Escalation.objects.filter(action=NOTIFY).values_list("outcome__notified", flat=True)) == {"agent"}
    emails = Counter((m.event.object_id, m.event.payload["percent"], m.event.payload["recipient"])
                     for m in sla_emails().select_related("event"))
    assert emails == Counter({(incident.pk, percent, agent.pk): 1 for incident in incidents for percent in (50, 100)})
    assert Incident.objects.count() == INCIDENTS
    print(f"\nkilled after {at_kill} of {total} escalation rows; the second worker ran "
          f"{len(second.finished(SWEEP))} sweeps: {second.finished(SWEEP)}; broker {celery_app.conf.broker_url[:12]}")
