"""The CAB: boards, meetings from the board's recurrence, the agenda, attendance, and the decision
minuted per change, which settles the board's approver group."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from changes.choices import ChangeState, MeetingState
from changes.selectors_approvals import latest_authorisation, pending_authorisation
from changes.services import cab
from itsm.approval_models import ApprovalState
from itsm.choices import Role
from itsm.exceptions import NotPermitted
from itsm.models import JournalEntry
from tests.changes.factories import move, window
from tests.changes.factories_approvals import approve, make_board, make_rule, under_authorisation

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def people(make_user, change_manager, admin_user):
    return {
        "manager": change_manager, "admin": admin_user,
        "requester": make_user(Role.AGENT, username="rita"),
        "implementer": make_user(Role.AGENT, username="ivan"),
        "chair": make_user(Role.CAB_MEMBER, username="chair"),
        "ann": make_user(Role.CAB_MEMBER, username="ann"),
        "bob": make_user(Role.CAB_MEMBER, username="bob"),
    }


@pytest.fixture
def board(people):
    first = dt.datetime(2030, 1, 8, 10, 0, tzinfo=BERLIN)  # a Tuesday
    return make_board(people["admin"], name="Weekly CAB", members=[people["ann"], people["bob"]],
                      chair=people["chair"], first_meeting=first, rrule="FREQ=WEEKLY;BYDAY=TU",
                      time_zone="Europe/Berlin", duration_minutes=90)


def test_a_board_checks_its_recurrence_and_time_zone(people):
    with pytest.raises(ValidationError) as error:
        make_board(people["admin"], members=[], rrule="FREQ=SOMETIMES", time_zone="Mars/Olympus")
    assert {"rrule", "time_zone", "first_meeting"} <= set(error.value.message_dict)
    with pytest.raises(NotPermitted):
        make_board(people["manager"], members=[])


def test_meetings_are_planned_from_the_recurrence_once(people, board):
    since = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    until = dt.datetime(2030, 2, 1, tzinfo=dt.UTC)
    meetings = cab.meetings_plan(actor=people["chair"], board=board, since=since, until=until)
    assert [m.starts_at.astimezone(BERLIN).strftime("%d %H:%M") for m in meetings] == [
        "08 10:00", "15 10:00", "22 10:00", "29 10:00"]
    assert meetings[0].ends_at - meetings[0].starts_at == dt.timedelta(minutes=90)
    # each covers the changes until the next meeting
    assert meetings[0].period_end == meetings[1].starts_at
    assert meetings[-1].period_end == dt.datetime(2030, 2, 5, 10, 0, tzinfo=BERLIN)
    again = cab.meetings_plan(actor=people["manager"], board=board, since=since, until=until)
    assert [m.pk for m in again] == [m.pk for m in meetings] and board.meetings.count() == 4
    with pytest.raises(NotPermitted):
        cab.meetings_plan(actor=people["ann"], board=board, since=since, until=until)


@pytest.fixture
def meeting(people, board):
    start = timezone.now() + dt.timedelta(hours=1)
    return cab.meeting_create(actor=people["chair"], board=board, starts_at=start,
                              period_end=start + dt.timedelta(days=7))


def test_the_agenda_holds_changes_awaiting_the_board_and_scheduled_in_its_period(people, board, meeting):
    make_rule(people["admin"], name="CAB", board=board, change_model="normal")
    make_rule(people["admin"], name="Managers", users=[people["manager"]], change_model="emergency")
    awaiting = under_authorisation(people["manager"], people["requester"])
    scheduled = under_authorisation(people["manager"], people["requester"], short_description="Scheduled one")
    approve(people["ann"], scheduled, "CAB")
    move(people["manager"], scheduled, "schedule")
    elsewhere = under_authorisation(people["manager"], people["requester"], change_model="emergency",
                                    **window(hours_from_now=24 * 30))

    added = cab.agenda_build(actor=people["chair"], meeting=meeting)

    assert [item.change for item in added] == [awaiting, scheduled]  # earliest window first
    assert elsewhere.pk not in {item.change_id for item in added}
    assert cab.agenda_build(actor=people["chair"], meeting=meeting) == []  # nothing twice


def test_the_minuted_approval_settles_the_boards_group_and_completes_the_request(people, board, meeting):
    make_rule(people["admin"], name="CAB", board=board, quorum="all")
    change = under_authorisation(people["manager"], people["requester"], implementer=people["implementer"])
    [item] = cab.agenda_build(actor=people["chair"], meeting=meeting)
    cab.meeting_update(actor=people["chair"], meeting=meeting, data={"attendees": [people["ann"], people["chair"]]},
                       expected_version=meeting.version)
    group = pending_authorisation(change).groups.get()

    item = cab.agenda_decide(actor=people["chair"], item=item, decision="approved", notes="Go ahead")

    group.refresh_from_db()
    assert group.state == ApprovalState.APPROVED and not group.decisions.exists()  # the board's, not one person's
    assert latest_authorisation(change).state == ApprovalState.APPROVED
    change.refresh_from_db()
    assert change.authorised_at is not None
    entry = JournalEntry.objects.get(object_id=change.pk, data__step="settled")
    assert "by CAB meeting Weekly CAB of" in entry.body and "recorded by" in entry.body
    assert set(entry.data["attendees"]) == {people["ann"].pk, people["chair"].pk}
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.HELD and item.decided_by == people["chair"]


def test_the_boards_approval_leaves_the_other_groups_pending(people, board, meeting):
    make_rule(people["admin"], name="CAB", board=board)
    make_rule(people["admin"], name="Managers", users=[people["manager"]])
    change = under_authorisation(people["admin"], people["requester"])
    [item] = cab.agenda_build(actor=people["manager"], meeting=meeting)
    cab.agenda_decide(actor=people["manager"], item=item, decision="approved")
    request = pending_authorisation(change)
    assert dict(request.groups.values_list("name", "state")) == {"CAB": "approved", "Managers": "pending"}
    approve(people["manager"], change, "Managers")
    assert latest_authorisation(change).state == ApprovalState.APPROVED


def test_a_minuted_rejection_returns_the_change_to_assessment(people, board, meeting):
    make_rule(people["admin"], name="CAB", board=board)
    change = under_authorisation(people["manager"], people["requester"])
    [item] = cab.agenda_build(actor=people["chair"], meeting=meeting)
    cab.agenda_decide(actor=people["chair"], item=item, decision="rejected", notes="No backout tested")
    change.refresh_from_db()
    assert change.state == ChangeState.ASSESSMENT
    assert latest_authorisation(change).state == ApprovalState.REJECTED


def test_deferred_leaves_the_group_pending(people, board, meeting):
    make_rule(people["admin"], name="CAB", board=board)
    change = under_authorisation(people["manager"], people["requester"])
    [item] = cab.agenda_build(actor=people["chair"], meeting=meeting)
    item = cab.agenda_decide(actor=people["chair"], item=item, decision="deferred", notes="Needs a test plan")
    assert pending_authorisation(change).groups.get().state == ApprovalState.PENDING
    assert item.decision == "deferred"
    item = cab.agenda_decide(actor=people["chair"], item=item, decision="approved")  # decided later on
    assert latest_authorisation(change).state == ApprovalState.APPROVED
    with pytest.raises(ValidationError):
        cab.agenda_decide(actor=people["chair"], item=item, decision="rejected")


def test_the_requester_or_implementer_never_records_the_boards_decision(people, board, meeting, make_user):
    make_rule(people["admin"], name="CAB", board=board)
    change = under_authorisation(people["manager"], people["manager"])  # the change manager requested it
    [item] = cab.agenda_build(actor=people["chair"], meeting=meeting)
    with pytest.raises(NotPermitted) as error:
        cab.agenda_decide(actor=people["manager"], item=item, decision="approved")
    assert "someone else records the board's decision" in str(error.value)
    with pytest.raises(NotPermitted):  # a member who is not the chair
        cab.agenda_decide(actor=people["ann"], item=item, decision="approved")
    assert pending_authorisation(change).groups.get().state == ApprovalState.PENDING


def test_attendees_are_members_of_the_board(people, board, meeting):
    with pytest.raises(ValidationError) as error:
        cab.meeting_update(actor=people["chair"], meeting=meeting, data={"attendees": [people["requester"]]},
                           expected_version=meeting.version)
    assert str(people["requester"]) in str(error.value.message_dict["attendees"])
    meeting = cab.meeting_update(actor=people["chair"], meeting=meeting, data={
        "attendees": [people["ann"]], "minutes": "Short meeting.", "state": "held"}, expected_version=meeting.version)
    assert meeting.held_at is not None and list(meeting.attendees.all()) == [people["ann"]]


def test_the_kernel_never_lets_an_excluded_person_record_a_bodys_decision(people, board):
    from itsm.approvals import ApprovalClosed, approval_settle_group

    make_rule(people["admin"], name="CAB", board=board)
    change = under_authorisation(people["manager"], people["requester"])
    group = pending_authorisation(change).groups.get()
    with pytest.raises(NotPermitted):
        approval_settle_group(actor=people["requester"], group=group, outcome="approve", on_behalf="CAB meeting")
    with pytest.raises(ValidationError):
        approval_settle_group(actor=people["chair"], group=group, outcome="approve", on_behalf=" ")
    approval_settle_group(actor=people["chair"], group=group, outcome="reject", on_behalf="CAB meeting",
                          comment="No.", attendees=[people["ann"]])
    assert latest_authorisation(change).state == ApprovalState.REJECTED
    with pytest.raises(ApprovalClosed):
        approval_settle_group(actor=people["chair"], group=group, outcome="approve", on_behalf="CAB meeting")
