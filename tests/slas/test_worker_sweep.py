"""The escalation sweep with real parts: the pool process of a Celery worker killed with SIGKILL
in the middle of a batch, held there by tests/worker_hooks.py, and the batch delivered again and
finished once, on the configured database (SQLite file or PostgreSQL) and broker (filesystem or
Redis)."""

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
CHUNK = 10  # clocks a sweep handles in one transaction (the worker's SWEEP_CHUNK, see tests/worker_hooks.py)
INCIDENTS = 2 * CHUNK  # one sweep's batch: two chunks
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


def test_a_pool_process_killed_mid_batch_has_its_sweep_delivered_again_which_finishes_the_batch_once(
        worker_factory, agent, tmp_path):
    # given 20 incidents whose clocks all have two thresholds due (50 % and the breach): one
    # sweep's batch, in two chunks of 10 clocks, each chunk its own transaction
    incidents = incidents_overdue(agent, INCIDENTS)
    total = len(EXPECTED_ROWS) * INCIDENTS
    # and a worker whose sweep, after each chunk it committed, waits while the gate is held
    gate = tmp_path / "gate"
    gate.mkdir()
    (gate / "hold").touch()
    worker = worker_factory(env={"ITSM_TEST_SWEEP_GATE": str(gate), "ITSM_TEST_SWEEP_CHUNK": str(CHUNK)},
                            include=("tests.worker_hooks",))

    # when a sweep is sent and, its first chunk committed and the second not begun, the pool
    # process running it is killed (SIGKILL)
    sent = sweep_timers.delay()
    pid, checked = first_chunk_done(gate, worker)
    at_kill = Escalation.objects.count()
    assert (checked, at_kill, due_count()) == (CHUNK, len(EXPECTED_ROWS) * CHUNK, INCIDENTS - CHUNK), (
        "not held mid-batch")
    assert worker.finished_runs(sent.id) == []
    os.kill(pid, signal.SIGKILL)
    wait_for_log(worker, "WorkerLostError")
    (gate / "hold").unlink()

    # then the batch was partly done when the process died: the first chunk, not the second
    assert 0 < at_kill == Escalation.objects.count() < total
    # and the same message is delivered again (late acknowledgement, rejected on the worker's
    # loss) to a new pool process, whose run of it does the rest of the batch: the second chunk
    rest = INCIDENTS - CHUNK
    # (its escalations: the notify actions, two a clock)
    assert worker.wait_for_tasks(SWEEP, 1, timeout=60) == [repr({"checked": rest, "escalations": 2 * rest})]
    assert worker.finished_runs(sent.id) == worker.finished(SWEEP)
    assert due_count() == 0, still_due()

    # and every threshold of every clock was handled exactly once: nothing skipped, nothing twice
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
    print(f"\nkilled pool process {pid} after {at_kill} of {total} escalation rows; "
          f"broker {celery_app.conf.broker_url[:12]}")


def first_chunk_done(gate, worker, timeout=60):
    """(pid, timers checked) of the first chunk a sweep committed, once it is held after it."""
    deadline = time.monotonic() + timeout
    progress = gate / "progress"
    while not (progress.exists() and progress.read_text().endswith("\n")):
        assert worker.process.poll() is None, worker.failure("the worker died before its first chunk")
        assert time.monotonic() < deadline, worker.failure(f"no chunk committed within {timeout} s")
        time.sleep(0.02)
    pid, checked = progress.read_text().splitlines()[0].split()
    return int(pid), int(checked)


def wait_for_log(worker, text, timeout=30):
    deadline = time.monotonic() + timeout
    while text not in worker.log():
        assert time.monotonic() < deadline, worker.failure(f"no {text!r} in the worker's log after {timeout} s")
        time.sleep(0.05)
