"""Approvals as a kernel mechanism (itsm/approvals.py), on the example app's tickets."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.approval_models import ApprovalDecision, ApprovalState, Outcome, Quorum
from itsm.approvals import (
    AlreadyDecided,
    ApprovalClosed,
    ApprovalPending,
    Approvers,
    approval_cancel,
    approval_decide,
    approval_invalidate,
    approval_request,
    approvals_of,
    required_approvals,
)
from itsm.choices import JournalKind
from itsm.exceptions import NotPermitted
from itsm.journal import journal_for
from itsm.models import DomainEvent
from tests.factories import TeamFactory, UserFactory
from tests.kernel_app.factories import make_ticket

pytestmark = pytest.mark.django_db

APPROVE, REJECT = Outcome.APPROVE, Outcome.REJECT


def people(count):
    return [UserFactory(roles=["cab_member"]) for _ in range(count)]


def ask(actor, record, *groups, excluded=(), purpose="authorisation"):
    return approval_request(actor=actor, record=record, purpose=purpose, groups=groups, excluded=excluded)


def state_of(request):
    request.refresh_from_db()
    return request.state


@pytest.mark.parametrize(("quorum", "value", "eligible", "required"), [
    (Quorum.ANY, None, 5, 1), (Quorum.ALL, None, 5, 5), (Quorum.COUNT, 3, 5, 3),
    (Quorum.PERCENT, 50, 3, 2), (Quorum.PERCENT, 100, 4, 4), (Quorum.PERCENT, 1, 4, 1),
])
def test_each_quorum_needs_its_number_of_approvals(quorum, value, eligible, required):
    assert required_approvals(quorum, value, eligible) == required


@pytest.mark.parametrize(("quorum", "value", "eligible"), [
    (Quorum.ANY, None, 0), (Quorum.COUNT, 4, 3), (Quorum.COUNT, 0, 3), (Quorum.COUNT, None, 3),
    (Quorum.PERCENT, 0, 3), (Quorum.PERCENT, 101, 3), ("most", None, 3),
])
def test_a_quorum_nobody_can_meet_is_refused(quorum, value, eligible):
    with pytest.raises(ValidationError):
        required_approvals(quorum, value, eligible)



def test_any_one_approval_of_a_team_approves(agent):
    cab = TeamFactory(members=people(3))
    request = ask(agent, make_ticket(agent), Approvers("CAB", team=cab))
    [group] = request.groups.all()

    approval_decide(actor=cab.members.first(), group=group, outcome=APPROVE, comment="fine")

    assert state_of(request) == ApprovalState.APPROVED
    group.refresh_from_db()
    assert group.state == ApprovalState.APPROVED and request.completed_at is not None


def test_all_of_a_group_must_approve(agent):
    a, b = people(2)
    request = ask(agent, make_ticket(agent), Approvers("Owners", users=(a, b), quorum=Quorum.ALL))
    [group] = request.groups.all()

    approval_decide(actor=a, group=group, outcome=APPROVE)
    assert state_of(request) == ApprovalState.PENDING
    approval_decide(actor=b, group=group, outcome=APPROVE)
    assert state_of(request) == ApprovalState.APPROVED


@pytest.mark.parametrize(("quorum", "value"), [(Quorum.COUNT, 2), (Quorum.PERCENT, 50)])
def test_n_of_m_and_a_percentage_approve_at_their_count(agent, quorum, value):
    approvers = people(4)  # 2 of 4, or 50 % of 4
    request = ask(agent, make_ticket(agent), Approvers("CAB", users=approvers, quorum=quorum, value=value))
    [group] = request.groups.all()

    approval_decide(actor=approvers[0], group=group, outcome=APPROVE)
    assert state_of(request) == ApprovalState.PENDING
    approval_decide(actor=approvers[1], group=group, outcome=APPROVE)
    assert state_of(request) == ApprovalState.APPROVED


def test_every_group_must_meet_its_quorum(agent):
    manager, cab_member = people(2)
    request = ask(agent, make_ticket(agent), Approvers("Manager", users=(manager,)),
                  Approvers("CAB", users=(cab_member,)))
    manager_group, cab_group = request.groups.all()

    approval_decide(actor=manager, group=manager_group, outcome=APPROVE)
    assert state_of(request) == ApprovalState.PENDING
    approval_decide(actor=cab_member, group=cab_group, outcome=APPROVE)
    assert state_of(request) == ApprovalState.APPROVED


def test_one_rejection_rejects_the_group_and_the_request(agent):
    approvers = people(3)
    request = ask(agent, make_ticket(agent), Approvers("CAB", users=approvers, quorum=Quorum.COUNT, value=2),
                  Approvers("Owner", users=people(1)))
    cab, owner = request.groups.all()
    approval_decide(actor=approvers[0], group=cab, outcome=APPROVE)

    approval_decide(actor=approvers[1], group=cab, outcome=REJECT, comment="Backout plan missing")

    assert state_of(request) == ApprovalState.REJECTED
    cab.refresh_from_db()
    owner.refresh_from_db()
    assert (cab.state, owner.state) == (ApprovalState.REJECTED, ApprovalState.PENDING)
    with pytest.raises(ApprovalClosed):  # the other group has nothing left to decide
        approval_decide(actor=owner.members.get(), group=owner, outcome=APPROVE)


def test_the_requester_and_implementer_may_not_approve_and_are_not_counted(agent):
    implementer, other = people(2)
    team = TeamFactory(members=[agent, implementer, other])
    ticket = make_ticket(agent)
    request = ask(agent, ticket, Approvers("Team", team=team, quorum=Quorum.ALL), excluded=[agent, implementer])
    [group] = request.groups.all()
    assert (group.required, set(group.members.all())) == (1, {other})  # "all" of those who may decide

    for person in (agent, implementer):
        with pytest.raises(NotPermitted, match="someone else must approve"):
            approval_decide(actor=person, group=group, outcome=APPROVE)
    assert not ApprovalDecision.objects.exists()


def test_only_members_of_the_group_decide_and_only_as_themselves(agent):
    member, outsider = people(2)
    request = ask(agent, make_ticket(agent), Approvers("CAB", users=(member,)))
    [group] = request.groups.all()

    with pytest.raises(NotPermitted, match="not an approver"):
        approval_decide(actor=outsider, group=group, outcome=APPROVE)
    decision = approval_decide(actor=member, group=group, outcome=APPROVE)
    assert decision.approver == member


def test_auditors_never_decide(agent, auditor):
    request = ask(agent, make_ticket(agent), Approvers("Audit", users=(auditor,)))
    with pytest.raises(NotPermitted):
        approval_decide(actor=auditor, group=request.groups.get(), outcome=APPROVE)


def test_deciding_twice_as_one_group_is_refused(agent):
    a, b = people(2)
    request = ask(agent, make_ticket(agent), Approvers("CAB", users=(a, b), quorum=Quorum.ALL))
    [group] = request.groups.all()
    approval_decide(actor=a, group=group, outcome=APPROVE)

    for outcome in (APPROVE, REJECT):
        with pytest.raises(AlreadyDecided):
            approval_decide(actor=a, group=group, outcome=outcome)
    assert group.decisions.count() == 1 and state_of(request) == ApprovalState.PENDING


def test_one_person_decides_once_in_each_of_their_groups(agent):
    both = people(1)[0]
    request = ask(agent, make_ticket(agent), Approvers("Manager", users=(both,)), Approvers("CAB", users=(both,)))
    manager, cab = request.groups.all()

    approval_decide(actor=both, group=manager, outcome=APPROVE)
    approval_decide(actor=both, group=cab, outcome=APPROVE)
    assert state_of(request) == ApprovalState.APPROVED


@pytest.mark.parametrize("close", ["approved", "cancelled", "invalidated"])
def test_no_decisions_on_a_request_that_is_not_pending(agent, close):
    a, b = people(2)
    request = ask(agent, make_ticket(agent), Approvers("A", users=(a,)), Approvers("B", users=(b,)))
    first, second = request.groups.all()
    if close == "approved":
        approval_decide(actor=a, group=first, outcome=APPROVE)
        approval_decide(actor=b, group=second, outcome=APPROVE)
        b = UserFactory(roles=["cab_member"])
        second.members.add(b)  # someone who has not decided yet
    elif close == "cancelled":
        approval_cancel(actor=agent, request=request, reason="Change withdrawn")
    else:
        approval_invalidate(request, "Window moved", actor=agent)

    with pytest.raises(ApprovalClosed):
        approval_decide(actor=b, group=second, outcome=APPROVE)


def test_a_material_edit_invalidates_an_approved_request_and_a_new_one_is_asked(agent):
    approver = people(1)[0]
    ticket = make_ticket(agent)
    request = ask(agent, ticket, Approvers("CAB", users=(approver,)))
    approval_decide(actor=approver, group=request.groups.get(), outcome=APPROVE)

    approval_invalidate(request, "Implementation window moved", actor=agent)

    assert state_of(request) == ApprovalState.INVALIDATED
    assert request.reason == "Implementation window moved"
    again = ask(agent, ticket, Approvers("CAB", users=(approver,)))
    assert state_of(again) == ApprovalState.PENDING
    assert approval_invalidate(request, "again").state == ApprovalState.INVALIDATED  # nothing more happens


def test_invalidation_by_a_task_is_written_as_the_system_actor(agent):
    request = ask(agent, make_ticket(agent), Approvers("CAB", users=people(1)))
    approval_invalidate(request, "CIs changed")
    assert state_of(request) == ApprovalState.INVALIDATED


def test_one_pending_request_per_record_and_purpose(agent):
    ticket = make_ticket(agent)
    ask(agent, ticket, Approvers("CAB", users=people(1)))
    with pytest.raises(ApprovalPending):
        ask(agent, ticket, Approvers("CAB", users=people(1)))
    ask(agent, ticket, Approvers("Release", users=people(1)), purpose="go_no_go")  # another purpose


def test_a_cancelled_request_cannot_be_cancelled_again(agent):
    request = ask(agent, make_ticket(agent), Approvers("CAB", users=people(1)))
    approval_cancel(actor=agent, request=request)
    with pytest.raises(ApprovalClosed):
        approval_cancel(actor=agent, request=request)


def test_a_group_may_be_a_team_and_named_people_and_counts_active_accounts_once(agent):
    member, retired, guest = people(3)
    retired.is_active = False
    retired.save()
    team = TeamFactory(members=[member, retired])
    request = ask(agent, make_ticket(agent), Approvers("CAB", team=team, users=(member, guest), quorum=Quorum.ALL))
    group = request.groups.get()
    assert (set(group.members.all()), group.required) == ({member, guest}, 2)


def test_a_group_of_nobody_but_the_excluded_is_refused(agent):
    with pytest.raises(ValidationError):
        ask(agent, make_ticket(agent), Approvers("Self", users=(agent,)), excluded=[agent])


def test_every_step_is_on_the_records_timeline_and_an_event(agent):
    a, b = people(2)
    ticket = make_ticket(agent)
    request = ask(agent, ticket, Approvers("CAB", users=(a, b), quorum=Quorum.ALL))
    group = request.groups.get()
    approval_decide(actor=a, group=group, outcome=APPROVE, comment="Looks safe")
    approval_decide(actor=b, group=group, outcome=APPROVE)

    entries = [e for e in journal_for(ticket, agent) if e.kind == JournalKind.APPROVAL]
    assert [(e.data["step"], e.author) for e in entries] == [
        ("requested", agent), ("decided", a), ("decided", b), ("completed", b)]
    assert entries[1].body == "Approve (CAB): Looks safe"
    events = DomainEvent.objects.filter(object_id=ticket.pk, name__startswith="approval.")
    assert [(e.name, e.payload.get("outcome") or e.payload.get("state")) for e in events] == [
        ("approval.requested", None), ("approval.decided", "approve"), ("approval.decided", "approve"),
        ("approval.completed", "approved")]
    assert events[0].payload["approvers"] == sorted([a.pk, b.pk])


def test_a_refused_decision_writes_nothing(agent):
    outsider = people(1)[0]
    ticket = make_ticket(agent)
    request = ask(agent, ticket, Approvers("CAB", users=people(1)))
    before = (DomainEvent.objects.count(), len(journal_for(ticket, agent)))
    with pytest.raises(NotPermitted):
        approval_decide(actor=outsider, group=request.groups.get(), outcome=APPROVE)
    assert (DomainEvent.objects.count(), len(journal_for(ticket, agent))) == before


def test_the_selector_reads_requests_groups_and_decisions_in_constant_queries(agent):
    ticket = make_ticket(agent)

    def add_round():
        approvers = people(3)
        request = ask(agent, ticket, Approvers("CAB", users=approvers, quorum=Quorum.ALL),
                      Approvers("Team", team=TeamFactory(members=people(2))), excluded=[agent])
        cab = request.groups.first()
        for person in approvers[:2]:
            approval_decide(actor=person, group=cab, outcome=APPROVE)
        approval_invalidate(request, "Plans changed", actor=agent)

    def read():
        with CaptureQueriesContext(connection) as queries:
            requests = list(approvals_of(ticket))
            seen = [(r.requested_by.username, [(g.team, [m.pk for m in g.member_list],
                                                [d.approver.username for d in g.decision_list])
                                               for g in r.group_list], r.excluded_list) for r in requests]
        return len(queries), seen

    add_round()
    one, seen = read()
    for _ in range(3):
        add_round()
    four, seen = read()
    assert one == four == 5
    assert len(seen) == 4
    _, groups, excluded = seen[-1]
    assert [(team is not None, len(members), len(decisions)) for team, members, decisions in groups] == [
        (False, 3, 2), (True, 2, 0)]
    assert excluded == [agent]


# --- Concurrency: the request's row lock (PostgreSQL) or the write lock (SQLite) -------------

concurrent = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@concurrent
def test_two_approvers_at_the_same_instant_both_count(run_concurrently, widen_race, make_user):
    agent = make_user("agent")
    a, b = people(2)
    request = ask(agent, make_ticket(agent), Approvers("CAB", users=(a, b), quorum=Quorum.ALL))
    group = request.groups.get()
    widen_race("itsm.approvals._check_may_decide")  # both inside their transaction before either commits

    outcomes = run_concurrently(lambda: approval_decide(actor=a, group=group, outcome=APPROVE),
                                lambda: approval_decide(actor=b, group=group, outcome=APPROVE))

    assert all(isinstance(o, ApprovalDecision) for o in outcomes), outcomes
    assert state_of(request) == ApprovalState.APPROVED  # the second saw the first's approval
    assert DomainEvent.objects.filter(name="approval.completed").count() == 1


@concurrent
def test_a_double_click_decides_once(run_concurrently, widen_race, make_user):
    agent = make_user("agent")
    a, b = people(2)
    request = ask(agent, make_ticket(agent), Approvers("CAB", users=(a, b), quorum=Quorum.ALL))
    group = request.groups.get()
    widen_race("itsm.approvals._check_may_decide")

    outcomes = run_concurrently(lambda: approval_decide(actor=a, group=group, outcome=APPROVE),
                                lambda: approval_decide(actor=a, group=group, outcome=APPROVE))

    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyDecided", "ApprovalDecision"], outcomes
    assert group.decisions.count() == 1
    assert DomainEvent.objects.filter(name="approval.decided").count() == 1
