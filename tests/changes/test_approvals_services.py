"""Authorising a change: approver groups chosen by rules, segregation of duties, quorums, what
the outcome does to the change, and a material edit after approval."""

import pytest
from django.core.exceptions import ValidationError

from changes.choices import ChangeState
from changes.selectors_approvals import latest_authorisation, pending_authorisation
from changes.services.approval_rules import approval_rule_update, approvers_for
from changes.services.approvals import authorisation_approved
from changes.services.records import change_update
from itsm.approval_models import ApprovalState
from itsm.approvals import AlreadyDecided
from itsm.choices import Role
from itsm.exceptions import NotPermitted
from itsm.models import JournalEntry, User
from tests.changes.factories import make_change, move, window
from tests.changes.factories_approvals import (
    approve,
    assessed,
    make_board,
    make_rule,
    reject,
    under_authorisation,
)
from tests.config_items.factories import link, make_ci, make_service
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, change_manager, admin_user):
    return {
        "manager": change_manager, "admin": admin_user,
        "requester": make_user(Role.AGENT, username="rita"),
        "implementer": make_user(Role.AGENT, username="ivan"),
        "ann": make_user(Role.CAB_MEMBER, username="ann"),
        "bob": make_user(Role.CAB_MEMBER, username="bob"),
        "cid": make_user(Role.CAB_MEMBER, username="cid"),
    }


def test_rules_choose_groups_by_model_risk_and_service(people):
    admin = people["admin"]
    mail = make_service(name="Mail")
    relay = make_ci(name="relay-01", type_slug="server")
    link(mail, relay)
    make_rule(admin, name="Everyone", users=[people["ann"]])
    make_rule(admin, name="High risk", min_risk="high", users=[people["bob"]])
    make_rule(admin, name="Mail owners", service=mail, users=[people["cid"]])
    make_rule(admin, name="Emergency CAB", change_model="emergency", users=[people["cid"]])
    make_rule(admin, name="Retired", users=[people["bob"]], is_active=False)

    low = assessed(make_change(people["requester"]), "low")
    high_on_mail = assessed(make_change(people["requester"], cis=[relay]), "very_high")
    emergency = make_change(people["requester"], change_model="emergency")

    assert [a.name for a in approvers_for(low)] == ["Everyone"]
    # the mail service is impacted through the CMDB (it depends on the relay)
    assert [a.name for a in approvers_for(high_on_mail)] == ["Everyone", "High risk", "Mail owners"]
    # emergency changes go to the emergency CAB only, whatever their risk (not assessed yet)
    assert [a.name for a in approvers_for(emergency)] == ["Emergency CAB"]


def test_no_matching_rule_is_a_clear_refusal(people):
    change = assessed(move(people["manager"], make_change(people["requester"], implementation_plan="a",
                                                          backout_plan="b", test_plan="c"), "assess"))
    with pytest.raises(ValidationError) as error:
        move(people["manager"], change, "request_authorisation")
    assert "No approval rule matches this change: ask an administrator" in error.value.messages
    change.refresh_from_db()
    assert change.state == ChangeState.ASSESSMENT  # nothing half-written


def test_a_board_rule_asks_the_board_members(people):
    board = make_board(people["admin"], members=[people["ann"], people["bob"]], chair=people["cid"])
    make_rule(people["admin"], name="CAB", board=board)
    change = under_authorisation(people["manager"], people["requester"])
    group = pending_authorisation(change).groups.get()
    # the chair is always a member of the board
    assert set(group.members.values_list("username", flat=True)) == {"ann", "bob", "cid"}
    rules_entry = JournalEntry.objects.get(object_id=change.pk, data__step="rules")
    assert rules_entry.data["groups"] == [{"group": group.pk, "rule": board.rules.get().pk, "board": board.pk}]


def test_requester_and_implementer_may_not_approve(people):
    team = TeamFactory(members=[people["requester"], people["implementer"], people["ann"]])
    make_rule(people["admin"], name="Team", team=team)
    change = under_authorisation(people["manager"], people["requester"], implementer=people["implementer"],
                                 assignment_group=team)
    for person in (people["requester"], people["implementer"]):
        with pytest.raises(NotPermitted) as error:
            approve(person, change, "Team")
        assert "someone else must approve it" in str(error.value)
    assert pending_authorisation(change).groups.get().members.get() == people["ann"]


def test_a_quorum_nobody_can_meet_names_the_rule(people):
    make_rule(people["admin"], name="Only the requester", users=[people["requester"]])
    with pytest.raises(ValidationError) as error:
        under_authorisation(people["manager"], people["requester"])
    assert "Only the requester" in error.value.messages[0]


def test_two_of_three_authorise_the_change(people):
    make_rule(people["admin"], name="CAB", users=[people["ann"], people["bob"], people["cid"]],
              quorum="count", quorum_value=2)
    change = under_authorisation(people["manager"], people["requester"])

    change = approve(people["ann"], change, "CAB", "Fine by me")
    assert change.authorised_at is None and not authorisation_approved(change)
    with pytest.raises(AlreadyDecided):
        approve(people["ann"], change, "CAB")
    change = approve(people["bob"], change, "CAB")

    assert change.authorised_at is not None and authorisation_approved(change)
    assert change.state == ChangeState.AUTHORISATION
    change = move(people["manager"], change, "schedule")
    assert change.state == ChangeState.SCHEDULED


def test_the_role_an_approver_decided_as_is_on_the_timeline(people):
    board = make_board(people["admin"], members=[people["ann"]])
    make_rule(people["admin"], name="CAB", board=board)
    make_rule(people["admin"], name="Managers", users=[people["manager"]])
    change = under_authorisation(people["admin"], people["requester"])
    approve(people["ann"], change, "CAB", "ok")
    approve(people["manager"], change, "Managers")
    roles = dict(JournalEntry.objects.filter(object_id=change.pk, data__step="decided")
                 .values_list("author__username", "data__role"))
    assert roles == {"ann": f"CAB member ({board.name})", "chgmgr": "change manager"}
    body = JournalEntry.objects.get(object_id=change.pk, data__step="decided", author=people["ann"]).body
    assert body == f"Approve (CAB) as CAB member ({board.name}): ok"


def test_a_rejection_sends_the_change_back_to_assessment(people):
    make_rule(people["admin"], name="CAB", users=[people["ann"], people["bob"]], quorum="all")
    change = under_authorisation(people["manager"], people["requester"])

    change = reject(people["ann"], change, "CAB", "Backout plan is untested")

    assert change.state == ChangeState.ASSESSMENT
    assert latest_authorisation(change).state == ApprovalState.REJECTED
    step = JournalEntry.objects.get(object_id=change.pk, data__transition="return_to_assessment")
    # a CAB member may not take the change manager's step: the system does, naming the approver
    assert step.author == User.objects.get(username="system")
    assert "Authorisation rejected by" in step.body and "Backout plan is untested" in step.body
    # asked again later: a new request
    change = move(people["manager"], change, "request_authorisation")
    assert pending_authorisation(change) is not None


def test_a_material_edit_after_approval_asks_again(people):
    make_rule(people["admin"], name="CAB", users=[people["ann"]])
    change = under_authorisation(people["manager"], people["requester"])
    change = approve(people["ann"], change, "CAB")
    change = move(people["manager"], change, "schedule")
    first = latest_authorisation(change)

    change = change_update(actor=people["requester"], change=change, data=window(hours_from_now=48))

    first.refresh_from_db()
    assert first.state == ApprovalState.INVALIDATED and "planned start" in first.reason
    assert change.state == ChangeState.AUTHORISATION and change.authorised_at is None
    assert latest_authorisation(change).state == ApprovalState.PENDING
    assert JournalEntry.objects.filter(object_id=change.pk, data__step="voided").exists()
    # an edit that is not material leaves the new request alone
    change_update(actor=people["requester"], change=change, data={"description": "More words"})
    assert latest_authorisation(change).state == ApprovalState.PENDING


def test_a_pending_authorisation_is_asked_again_after_a_plan_edit(people):
    make_rule(people["admin"], name="CAB", users=[people["ann"]])
    change = under_authorisation(people["manager"], people["requester"])
    first = pending_authorisation(change)
    change_update(actor=people["requester"], change=change, data={"backout_plan": "Restore the snapshot."})
    first.refresh_from_db()
    assert first.state == ApprovalState.INVALIDATED
    assert pending_authorisation(change).pk != first.pk


def test_rules_are_managed_by_administrators(people):
    with pytest.raises(NotPermitted):
        make_rule(people["manager"], users=[people["ann"]])
    with pytest.raises(ValidationError) as error:
        make_rule(people["admin"], name="Nobody")
    assert "team" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_rule(people["admin"], users=[people["ann"]], quorum="percent", quorum_value=120)
    assert "quorum_value" in error.value.message_dict
    rule = make_rule(people["admin"], users=[people["ann"]])
    rule = approval_rule_update(actor=people["admin"], rule=rule, data={"is_active": False, "users": [people["bob"]]})
    assert not rule.is_active and list(rule.users.all()) == [people["bob"]]


def test_an_edit_of_a_related_list_names_it_when_asking_again(people):
    from changes.services.approvals import on_material_edit

    make_rule(people["admin"], name="CAB", users=[people["ann"]])
    change = move(people["manager"], approve(people["ann"], under_authorisation(people["manager"],
                                                                                people["requester"]), "CAB"),
                  "schedule")
    first = latest_authorisation(change)
    change = on_material_edit(change, actor=people["requester"], fields=["proposed_ci_changes"])
    first.refresh_from_db()
    assert "proposed CI changes" in first.reason and change.state == ChangeState.AUTHORISATION
