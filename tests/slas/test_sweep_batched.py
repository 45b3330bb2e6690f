"""The escalation sweep handles due timers in chunks: each threshold once with its events, a
record whose action fails does not hold up the others, and the queries do not grow with the
number of due timers."""

import dataclasses
import logging
from collections import Counter
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.db.models import F

from slas import registry, services
from slas.choices import TimerState
from slas.models import Escalation, Timer
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import Ticket
from tests.slas.conftest import ACTIONS

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)
NOTIFY, LEAD = "notify_assignee", "notify_group_lead"
# The default steps: 50, 75 and 90 % notify the assignee; the breach also the group lead.
EXPECTED_ROWS = {(50, "record"), (50, NOTIFY), (75, "record"), (75, NOTIFY), (90, "record"), (90, NOTIFY),
                 (100, "record"), (100, NOTIFY), (100, LEAD)}


def tickets_with_clocks(count):
    tickets = [make_ticket() for _ in range(count)]
    for ticket in tickets:
        services.timers_sync(ticket, cause="test", now=ticket.created_at)
    return tickets


def after_breach_of_all(tickets):
    return max(t.created_at for t in tickets) + 4 * H + timedelta(seconds=1)


def rows_by_ticket():
    rows = Counter(Escalation.objects.values_list("timer__object_id", "threshold", "action"))
    assert set(rows.values()) == {1}, "a threshold or action recorded twice"
    by_ticket = {}
    for object_id, threshold, action in rows:
        by_ticket.setdefault(object_id, set()).add((threshold, action))
    return by_ticket


def test_many_due_timers_swept_in_chunks_get_each_threshold_once_with_their_events(make_target, monkeypatch):
    monkeypatch.setattr(services.sweep, "SWEEP_CHUNK", 7)  # 20 timers: chunks of 7, 5 (the batch), then 7 and 1
    make_target(goal=4 * H)
    tickets = tickets_with_clocks(20)
    now = after_breach_of_all(tickets)

    first = services.timers_sweep(now=now, batch_size=12)
    second = services.timers_sweep(now=now)
    third = services.timers_sweep(now=now)

    assert (first.checked, second.checked, third.checked) == (12, 8, 0)
    assert (first.escalations, second.escalations, third.escalations) == (12 * 5, 8 * 5, 0)
    assert rows_by_ticket() == {t.pk: EXPECTED_ROWS for t in tickets}
    assert Counter(ACTIONS) == Counter({(t.number, kind, percent): 1 for t in tickets
                                        for kind, percent in [(NOTIFY, 50), (NOTIFY, 75), (NOTIFY, 90),
                                                              (NOTIFY, 100), (LEAD, 100)]})
    assert set(Escalation.objects.exclude(action="record").values_list("outcome__done", flat=True)) == {NOTIFY, LEAD}
    for ticket in tickets:
        timer = Timer.objects.get(object_id=ticket.pk)
        assert (timer.state, timer.breached_at, timer.next_check_at) == (
            TimerState.BREACHED, ticket.created_at + 4 * H, None)
        assert timer.counted_until == now and timer.elapsed == now - ticket.created_at
        events = list(timer.events.order_by("at", "id"))
        assert [(e.kind, e.data.get("percent")) for e in events] == [
            ("start", None), ("breach", None), ("threshold", 50), ("threshold", 75), ("threshold", 90)]
        assert events[1].at == ticket.created_at + 4 * H


def test_a_sweep_between_thresholds_schedules_the_next_one(make_target):
    make_target(goal=4 * H)
    tickets = tickets_with_clocks(3)
    now = max(t.created_at for t in tickets) + 2.5 * H  # past 50 %, before 75 %

    result = services.timers_sweep(now=now)

    assert (result.checked, result.escalations) == (3, 3)
    for ticket in tickets:
        timer = Timer.objects.get(object_id=ticket.pk)
        assert timer.state == TimerState.RUNNING
        assert timer.next_check_at == ticket.created_at + 3 * H  # the 75 % threshold
        assert timer.due_at == ticket.created_at + 4 * H
    assert rows_by_ticket() == {t.pk: {(50, "record"), (50, NOTIFY)} for t in tickets}


def test_a_record_whose_action_fails_does_not_stop_the_others(make_target, ticket_subject, caplog):
    make_target(goal=4 * H)
    good, bad, other = tickets_with_clocks(3)

    def act(ticket, action, timer, percent):
        if ticket.pk == bad.pk:
            Ticket.objects.filter(pk=ticket.pk).update(title="half-escalated")  # a change before the failure
            raise RuntimeError("mail server refused")
        return ticket_subject.act(ticket, action, timer, percent)

    registry.register_subject(dataclasses.replace(ticket_subject, act=act))
    now = after_breach_of_all([good, bad, other])

    with caplog.at_level(logging.ERROR, logger="slas.services"):
        result = services.timers_sweep(now=now)

    # the other records were escalated in full
    assert result.checked == 3
    assert sorted({number for number, _kind, _percent in ACTIONS}) == sorted([good.number, other.number])
    assert len(ACTIONS) == 10
    # the failing record's actions were rolled back, logged, and say they failed
    assert Ticket.objects.get(pk=bad.pk).title == bad.title
    assert "SLA escalation of ticket" in caplog.text and "mail server refused" in caplog.text
    failed = Escalation.objects.filter(timer__object_id=bad.pk).exclude(action="record")
    assert failed.count() == 5
    assert {e.outcome["failed"] for e in failed} == {"RuntimeError: mail server refused"}
    # its thresholds stay handled: the next sweep does not repeat them every 10 s
    assert rows_by_ticket()[bad.pk] == EXPECTED_ROWS
    assert Timer.objects.get(object_id=bad.pk).state == TimerState.BREACHED
    assert services.timers_sweep(now=now + H).checked == 0


def test_a_stray_escalation_row_is_not_done_twice(make_target):
    make_target(goal=4 * H)
    first, second = tickets_with_clocks(2)
    timer = Timer.objects.get(object_id=first.pk)
    Escalation.objects.create(timer=timer, threshold=50, action=NOTIFY, due_at=first.created_at + 2 * H)

    result = services.timers_sweep(now=after_breach_of_all([first, second]))

    # the conflicting threshold is left to whoever wrote it; everything else is escalated once
    assert result.checked == 2
    assert (first.number, NOTIFY, 50) not in ACTIONS
    assert len(ACTIONS) == 9
    assert rows_by_ticket() == {first.pk: EXPECTED_ROWS - {(50, "record")}, second.pk: EXPECTED_ROWS}
    assert Timer.objects.filter(next_check_at__isnull=False).count() == 0


@pytest.mark.parametrize("due", [3, 60])
def test_the_queries_of_a_sweep_do_not_grow_with_the_due_timers(make_target, django_assert_max_num_queries, due):
    make_target(goal=4 * H)
    tickets = tickets_with_clocks(due)
    Timer.objects.update(object_id=F("object_id") + 10**6)  # the timers' records are gone
    now = after_breach_of_all(tickets)

    # Per chunk: lock, targets, calendar versions, handled thresholds, records, the escalation
    # rows (in a savepoint), the events, the timers: 13 queries on PostgreSQL whatever the count;
    # SQLite splits the 540 escalation rows of 60 timers into INSERTs of at most 999 parameters (17).
    # Per timer, as before the batched sweep, it would be well over 60.
    with django_assert_max_num_queries(20):
        result = services.timers_sweep(now=now)

    assert (result.checked, result.escalations) == (due, 5 * due)
    assert Escalation.objects.count() == 9 * due
    assert set(Escalation.objects.exclude(action="record").values_list("outcome__skipped", flat=True)) == {
        "no record type registered"}
    assert ACTIONS == []


def test_a_transient_database_error_in_an_action_leaves_the_chunk_to_the_next_sweep(make_target, ticket_subject):
    make_target(goal=4 * H)
    tickets = tickets_with_clocks(2)
    now = after_breach_of_all(tickets)

    def deadlocked(ticket, action, timer, percent):
        raise OperationalError("deadlock detected")

    registry.register_subject(dataclasses.replace(ticket_subject, act=deadlocked))
    with pytest.raises(OperationalError):
        services.timers_sweep(now=now)

    # nothing of the chunk was kept: no threshold recorded as done or failed, the clocks still due
    assert Escalation.objects.count() == 0
    assert Timer.objects.filter(next_check_at__lte=now).count() == 2

    registry.register_subject(ticket_subject)
    assert services.timers_sweep(now=now).escalations == 10
    assert rows_by_ticket() == {t.pk: EXPECTED_ROWS for t in tickets}
