"""Timers follow their record: start, pause, resume, stop (met or breached), reopen, cancel,
re-target; the sweep escalates each threshold exactly once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from itsm.services import system_actor
from slas import services
from slas.choices import TimerState
from slas.models import Escalation, Timer
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import TicketState
from tests.slas.conftest import ACTIONS

pytestmark = pytest.mark.django_db


@pytest.fixture
def always(round_the_clock):
    """The built-in 24×7 calendar is immutable: these tests change theirs, so use one of our own."""
    return round_the_clock


H = timedelta(hours=1)


def sync(ticket, at, cause="test"):
    return {t.metric: t for t in services.timers_sync(ticket, cause=cause, now=at)}


def set_state(ticket, state):
    ticket.state = state
    ticket.save()
    return ticket


def test_a_matching_target_starts_a_timer_due_at_the_goal(make_target):
    make_target(goal=4 * H)
    ticket = make_ticket()

    timer = sync(ticket, ticket.created_at)["resolution"]

    assert timer.state == TimerState.RUNNING
    assert timer.due_at == ticket.created_at + 4 * H
    assert timer.next_check_at == ticket.created_at + 2 * H  # the 50 % threshold comes first
    assert [e.kind for e in timer.events.all()] == ["start"]


def test_no_target_no_timer(make_target):
    make_target(priorities=[1])  # the ticket has no priority

    assert sync(make_ticket(), make_ticket().created_at) == {}


def test_pausing_stops_the_clock_and_resuming_moves_the_due_instant(make_target):
    make_target(goal=4 * H, pause_states=[TicketState.IN_PROGRESS])
    ticket = make_ticket()
    start = ticket.created_at
    sync(ticket, start)

    timer = sync(set_state(ticket, TicketState.IN_PROGRESS), start + H)["resolution"]
    assert (timer.state, timer.pause_reason, timer.due_at, timer.next_check_at) == (
        TimerState.PAUSED, "In progress", None, None)

    timer = sync(set_state(ticket, TicketState.NEW), start + 3 * H)["resolution"]
    assert timer.state == TimerState.RUNNING
    assert timer.elapsed == H
    assert timer.due_at == start + 6 * H  # 3 h left from the resume at +3 h


def test_stopping_before_the_due_instant_is_met_and_after_it_breached(make_target):
    make_target(goal=4 * H)
    early, late = make_ticket(), make_ticket()
    sync(early, early.created_at)
    sync(late, late.created_at)

    early = set_state(early, TicketState.RESOLVED)
    met = sync(early, early.updated_at)["resolution"]
    late = set_state(late, TicketState.RESOLVED)
    late.updated_at = late.created_at + 5 * H
    breached = sync(late, late.created_at + 5 * H)["resolution"]

    assert met.state == TimerState.MET and met.stopped_at == early.updated_at
    assert breached.state == TimerState.BREACHED
    assert breached.breached_at == late.created_at + 4 * H


def test_stopping_exactly_at_the_due_instant_is_met(make_target):
    make_target(goal=4 * H)
    ticket = make_ticket()
    sync(ticket, ticket.created_at)
    ticket = set_state(ticket, TicketState.RESOLVED)
    ticket.updated_at = ticket.created_at + 4 * H

    timer = sync(ticket, ticket.created_at + 4 * H)["resolution"]

    assert timer.state == TimerState.MET and timer.elapsed == 4 * H


def test_reopening_continues_the_resolution_clock(make_target):
    make_target(goal=4 * H)
    ticket = make_ticket()
    start = ticket.created_at
    sync(ticket, start)
    ticket = set_state(ticket, TicketState.RESOLVED)
    ticket.updated_at = start + H
    sync(ticket, start + H)

    timer = sync(set_state(ticket, TicketState.IN_PROGRESS), start + 2 * H)["resolution"]

    assert timer.state == TimerState.RUNNING and timer.stopped_at is None
    assert timer.elapsed == H  # the hour while it was resolved does not count
    assert timer.due_at == start + 5 * H


def test_cancelling_the_record_cancels_its_timers(make_target):
    make_target()
    ticket = make_ticket()
    sync(ticket, ticket.created_at)

    timer = sync(set_state(ticket, TicketState.CANCELLED), ticket.created_at + H)["resolution"]

    assert timer.state == TimerState.CANCELLED and timer.next_check_at is None


def test_a_stricter_target_re_targets_and_keeps_the_elapsed_time(make_target):
    make_target(goal=8 * H, name="any priority")
    make_target(goal=2 * H, name="P1", priorities=[1])
    ticket = make_ticket()
    start = ticket.created_at
    assert sync(ticket, start)["resolution"].goal == 8 * H

    ticket.sla_priority = 1
    timer = sync(ticket, start + H)["resolution"]

    assert timer.goal == 2 * H and timer.elapsed == H
    assert timer.due_at == start + 2 * H
    assert timer.events.last().kind == "retarget"


def test_target_choice_is_deterministic_customer_first(make_target, agreement):
    from datetime import date

    from tests.factories import CustomerFactory

    customer = CustomerFactory()
    theirs = services.agreement_create(actor=system_actor(), data={
        "name": "Theirs", "customer": customer, "valid_from": date(2020, 1, 1)})
    make_target(goal=H, name="provider default, stricter")
    specific = make_target(goal=3 * H, name="customer's", agreement=theirs)
    ticket = make_ticket(customer=customer)

    assert sync(ticket, ticket.created_at)["resolution"].target == specific


def test_the_sweep_escalates_each_threshold_once_and_the_breach(make_target):
    make_target(goal=4 * H)
    ticket = make_ticket()
    start = ticket.created_at
    sync(ticket, start)

    first = services.timers_sweep(now=start + 3.5 * H)  # past 50 % and 75 %, not yet 90 %
    again = services.timers_sweep(now=start + 3.5 * H)
    breach = services.timers_sweep(now=start + 4 * H + timedelta(seconds=1))

    assert (first.escalations, again.escalations, breach.escalations) == (2, 0, 3)
    assert ACTIONS == [(ticket.number, "notify_assignee", 50), (ticket.number, "notify_assignee", 75),
                       (ticket.number, "notify_assignee", 90), (ticket.number, "notify_assignee", 100),
                       (ticket.number, "notify_group_lead", 100)]
    timer = Timer.objects.get()
    assert timer.state == TimerState.BREACHED and timer.breached_at == start + 4 * H
    assert sorted(Escalation.objects.filter(action="record").values_list("threshold", flat=True)) == [50, 75, 90, 100]
    assert timer.next_check_at is None


def test_a_sweep_with_nothing_due_touches_nothing(make_target):
    make_target(goal=4 * H)
    ticket = make_ticket()
    sync(ticket, ticket.created_at)

    assert services.timers_sweep(now=ticket.created_at + H).checked == 0


def test_a_timer_started_after_its_goal_passed_is_breached_at_once(make_target):
    make_target(goal=4 * H)
    ticket = make_ticket()

    timer = sync(ticket, ticket.created_at + 5 * H)["resolution"]  # first seen five hours after opening

    assert timer.state == TimerState.BREACHED
    assert timer.breached_at == ticket.created_at + 4 * H


def test_a_stop_in_the_past_keeps_its_instant(make_target):
    make_target(goal=4 * H)
    ticket = make_ticket()
    sync(ticket, ticket.created_at)
    ticket = set_state(ticket, TicketState.RESOLVED)
    ticket.updated_at = ticket.created_at + 3 * H  # resolved at three hours, synced at six

    timer = sync(ticket, ticket.created_at + 6 * H)["resolution"]

    assert (timer.state, timer.stopped_at, timer.elapsed) == (TimerState.MET, ticket.created_at + 3 * H, 3 * H)


def test_a_stopped_timer_escalates_no_more(make_target):
    make_target(goal=4 * H)
    ticket = make_ticket()
    sync(ticket, ticket.created_at)
    ticket = set_state(ticket, TicketState.RESOLVED)
    ticket.updated_at = ticket.created_at + 3.5 * H  # past 50 % and 75 % without a sweep in between
    timer = sync(ticket, ticket.created_at + 3.5 * H)["resolution"]

    assert timer.next_check_at is None
    assert services.timers_sweep(now=ticket.created_at + 10 * H).checked == 0
    assert ACTIONS == []


def test_the_process_copy_of_the_targets_follows_every_change(make_target, agreement,
                                                              django_capture_on_commit_callbacks):
    # select_targets keeps a per-process copy of the current targets (filed when the reading
    # transaction commits); a new target version, an agreement change and a change of the
    # agreement's services must each be seen by the very next choice.
    from datetime import date

    from slas.registry import Facts
    from tests.config_items.factories import make_service

    target = make_target(goal=8 * H)
    opened = make_ticket().created_at

    def choose(service_id=None):
        facts = Facts(customer_id=None, service_id=service_id, priority=None, team_id=None, state="new",
                      state_label="New", opened_at=opened, responded_at=None, resolved_at=None, cancelled=False)
        with django_capture_on_commit_callbacks(execute=True):
            chosen = services.select_targets("ticket", facts).get("resolution")
        return chosen.goal if chosen else None

    assert choose() == 8 * H
    assert services.targets.TARGETS.holds("ticket")  # filed: the next choice uses the copy

    services.target_update(actor=system_actor(), target=target, data={"goal": 6 * H})
    assert choose() == 6 * H
    services.agreement_update(actor=system_actor(), agreement=agreement, data={"is_active": False})
    assert choose() is None
    services.agreement_update(actor=system_actor(), agreement=agreement, data={"is_active": True,
                                                                               "valid_from": date(2020, 1, 1)})
    assert choose() == 6 * H
    mail, web = make_service(name="Mail"), make_service(name="Web")
    services.agreement_update(actor=system_actor(), agreement=agreement, data={"services": [mail]})
    assert (choose(mail.pk), choose(web.pk)) == (6 * H, None)
    services.agreement_update(actor=system_actor(), agreement=agreement, data={"services": []})
    assert choose(web.pk) == 6 * H


def test_a_new_timer_uses_the_calendars_version_published_since_the_last_choice(
        make_target, always, django_capture_on_commit_callbacks):
    from datetime import date

    make_target(goal=8 * H)
    with django_capture_on_commit_callbacks(execute=True):
        first = sync(make_ticket(), timezone.now())["resolution"].calendar_version
    services.calendar_day_set(actor=system_actor(), calendar=always, date=date(2030, 1, 2), kind="closed",
                              name="Closed for the test")

    with django_capture_on_commit_callbacks(execute=True):
        later = sync(make_ticket(), timezone.now())["resolution"].calendar_version

    assert later.number == first.number + 1 and later.calendar_id == always.pk


def test_a_choice_read_in_a_rolled_back_transaction_is_not_kept(make_target, monkeypatch):
    from django.db import transaction

    from itsm.generations import GenerationCache
    from slas.registry import Facts

    monkeypatch.setattr(services.targets, "TARGETS", GenerationCache("slas.targets"))  # no copy filed yet
    make_target(goal=8 * H)
    facts = Facts(customer_id=None, service_id=None, priority=None, team_id=None, state="new", state_label="New",
                  opened_at=make_ticket().created_at, responded_at=None, resolved_at=None, cancelled=False)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert services.select_targets("ticket", facts)["resolution"].goal == 8 * H
        raise RuntimeError("rolled back")

    assert not services.targets.TARGETS.holds("ticket")
