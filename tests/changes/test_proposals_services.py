"""Proposed CI changes: validated as the CMDB would, only on the change's CIs and before its
implementation, applied on success only with CMDB history naming the change, errors recorded."""

import pytest
from django.core.exceptions import ValidationError

from changes.choices import ChangeState, ProposalKind
from changes.models import ProposedCIChange
from changes.services import proposals
from changes.services.proposals import proposal_add, proposal_remove
from changes.services.states import change_transition
from config_items import services as cmdb
from config_items.models import Relationship
from itsm.choices import JournalKind
from itsm.exceptions import NotPermitted
from itsm.models import JournalEntry, Team
from tests.changes.factories import make_change, move
from tests.changes.factories_cmdb import live_ci, standard_change
from tests.config_items.factories import cmdb_writer, make_ci, relationship_type

pytestmark = pytest.mark.django_db


def attribute(ci, field, after):
    return {"kind": ProposalKind.ATTRIBUTE, "ci": ci, "field": field, "after": after}


def test_before_is_what_the_cmdb_holds_when_proposed(agent):
    relay = live_ci(attributes={"hostname": "relay01", "os": "Debian 11"})
    change = make_change(agent, cis=[relay])

    proposal = proposal_add(actor=agent, change=change, data=attribute(relay, "attributes.os", "Debian 12"))

    assert (proposal.before, proposal.after) == ("Debian 11", "Debian 12")
    assert proposal.created_by == agent
    entry = JournalEntry.objects.filter(object_id=change.pk, kind=JournalKind.SYSTEM).latest("id")
    assert "attributes.os: Debian 11 → Debian 12" in entry.body


@pytest.mark.parametrize(("field", "after", "key"), [
    ("attributes.cpu_count", "many", "after"),        # the type's schema: a whole number
    ("attributes.hostname", "", "after"),             # required attribute cleared
    ("attributes.colour", "blue", "field"),           # no such attribute on servers
    ("number", "CI9", "field"),                       # not a field a change proposes
    ("environment", "moon", "after"),
    ("status", "planned", "after"),                   # the lifecycle has no step live → planned
    ("owner_team", "", "after"),                      # a live CI needs an owner team
    ("owner_team", "Nobody", "after"),
    ("name", "", "after"),
    ("name", "mail-relay-01", "after"),               # its current value
])
def test_values_are_checked_as_the_cmdb_checks_them(agent, field, after, key):
    relay = live_ci(attributes={"hostname": "relay01"})
    change = make_change(agent, cis=[relay])
    with pytest.raises(ValidationError) as error:
        proposal_add(actor=agent, change=change, data=attribute(relay, field, after))
    assert key in error.value.message_dict
    assert not ProposedCIChange.objects.exists()


def test_a_team_is_proposed_by_name_and_kept_by_id(agent):
    relay = live_ci()
    other = Team.objects.create(name="Platform")
    change = make_change(agent, cis=[relay])
    proposal = proposal_add(actor=agent, change=change, data=attribute(relay, "owner_team", "Platform"))
    assert (proposal.before, proposal.after) == (relay.owner_team_id, other.pk)


def test_only_the_changes_own_cis(agent):
    relay, stranger = live_ci(), live_ci(name="db-01")
    change = make_change(agent, cis=[relay])
    with pytest.raises(ValidationError) as error:
        proposal_add(actor=agent, change=change, data=attribute(stranger, "description", "x"))
    assert "ci" in error.value.message_dict


def test_one_pending_proposal_per_field(agent):
    relay = live_ci()
    change = make_change(agent, cis=[relay])
    proposal_add(actor=agent, change=change, data=attribute(relay, "description", "first"))
    with pytest.raises(ValidationError):
        proposal_add(actor=agent, change=change, data=attribute(relay, "description", "second"))


def test_relationships_added_and_removed(agent):
    relay, database, old = live_ci(), live_ci(name="db-01"), live_ci(name="db-00")
    existing = cmdb.relationship_create(actor=cmdb_writer(), source=relay, target=old, type=relationship_type())
    change = make_change(agent, cis=[relay])
    added = proposal_add(actor=agent, change=change, data={
        "kind": ProposalKind.ADD_RELATIONSHIP, "ci": relay, "relationship_type": relationship_type(),
        "target": database})
    removed = proposal_add(actor=agent, change=change, data={
        "kind": ProposalKind.REMOVE_RELATIONSHIP, "ci": relay, "relationship_type": relationship_type(),
        "target": old})
    assert (added.before, added.after, removed.before, removed.after) == (False, True, True, False)
    with pytest.raises(ValidationError):  # it exists already
        proposal_add(actor=agent, change=make_change(agent, cis=[relay]), data={
            "kind": ProposalKind.ADD_RELATIONSHIP, "ci": relay, "relationship_type": existing.type, "target": old})
    with pytest.raises(ValidationError):  # a link to itself
        proposal_add(actor=agent, change=change, data={
            "kind": ProposalKind.ADD_RELATIONSHIP, "ci": relay, "relationship_type": relationship_type("runs-on"),
            "target": relay})


def test_refused_once_implementation_started_and_for_requesters(agent, requester):
    relay = live_ci()
    change = move(agent, standard_change(agent, cis=[relay]), "start")
    with pytest.raises(ValidationError) as error:
        proposal_add(actor=agent, change=change, data=attribute(relay, "description", "x"))
    assert "change" in error.value.message_dict
    with pytest.raises(NotPermitted):
        proposal_add(actor=requester, change=change, data=attribute(relay, "description", "x"))


def test_a_proposal_made_while_scheduled_is_a_material_edit(agent, monkeypatch):
    relay = live_ci()
    change = standard_change(agent, cis=[relay], starts_in_hours=5)
    edits = []
    monkeypatch.setattr(proposals.approvals, "on_material_edit",
                        lambda change, *, actor, fields: edits.append((change.pk, fields)) or change)
    proposal = proposal_add(actor=agent, change=change, data=attribute(relay, "description", "new"))
    proposal_remove(actor=agent, proposal=proposal)
    assert edits == [(change.pk, ["proposed_ci_changes"])] * 2
    assert not ProposedCIChange.objects.exists()


def test_new_changes_propose_without_a_material_edit(agent, monkeypatch):
    relay = live_ci()
    change = make_change(agent, cis=[relay])
    monkeypatch.setattr(proposals.approvals, "on_material_edit", lambda *a, **k: pytest.fail("not material"))
    proposal_add(actor=agent, change=change, data=attribute(relay, "description", "new"))


def complete(actor, change, code):
    return change_transition(actor=actor, change=change, name="complete",
                             data={"close_code": code, "close_notes": "done"})


def test_applied_on_success_with_history_naming_the_change(agent):
    relay, database = live_ci(attributes={"hostname": "relay01"}), live_ci(name="db-01")
    change = standard_change(agent, cis=[relay])
    proposal_add(actor=agent, change=change, data=attribute(relay, "attributes.os", "Debian 12"))
    proposal_add(actor=agent, change=change, data=attribute(relay, "status", "in_maintenance"))
    proposal_add(actor=agent, change=change, data={
        "kind": ProposalKind.ADD_RELATIONSHIP, "ci": relay, "relationship_type": relationship_type(),
        "target": database})
    change = move(agent, change, "start")

    change = complete(agent, change, "successful")

    relay.refresh_from_db()
    assert relay.attributes["os"] == "Debian 12" and relay.status == "in_maintenance"
    reasons = list(relay.history.order_by("-history_id").values_list("history_change_reason", flat=True)[:2])
    assert all(reason.startswith(f"{change.number}: ") for reason in reasons)
    link = Relationship.objects.get(source=relay, target=database)
    assert link.history.get().history_change_reason.startswith(change.number)
    assert all(p.applied_at and not p.apply_error for p in ProposedCIChange.objects.all())


def test_not_applied_when_the_change_failed(agent):
    relay = live_ci(attributes={"hostname": "relay01"})
    change = standard_change(agent, cis=[relay])
    proposal_add(actor=agent, change=change, data=attribute(relay, "attributes.os", "Debian 12"))
    change = complete(agent, move(agent, change, "start"), "failed")
    relay.refresh_from_db()
    assert "os" not in relay.attributes
    assert ProposedCIChange.objects.get().applied_at is None
    assert change.state == ChangeState.REVIEW


def test_a_proposal_the_cmdb_no_longer_accepts_is_recorded_and_the_rest_applied(agent):
    relay = live_ci(attributes={"hostname": "relay01"})
    change = standard_change(agent, cis=[relay])
    stale = proposal_add(actor=agent, change=change, data=attribute(relay, "description", "patched"))
    fine = proposal_add(actor=agent, change=change, data=attribute(relay, "attributes.os", "Debian 12"))
    cmdb.ci_update(actor=cmdb_writer(), ci=relay, data={"description": "edited meanwhile"})
    change = complete(agent, move(agent, change, "start"), "successful")

    stale.refresh_from_db()
    fine.refresh_from_db()
    assert stale.applied_at is None and "edited meanwhile" in stale.apply_error
    assert fine.applied_at is not None
    assert change.state == ChangeState.REVIEW  # the completion was not blocked
    entry = JournalEntry.objects.filter(object_id=change.pk, kind=JournalKind.SYSTEM).latest("id")
    assert "Not applied" in entry.body and "edited meanwhile" in entry.body


def test_an_implementer_who_does_not_write_the_cmdb_still_applies(agent):
    """The change's authorisation is the authority: the system actor writes for an agent."""
    relay = make_ci(name="app", status="live", owner_team=Team.objects.create(name="Apps"))
    change = standard_change(agent, cis=[relay])
    proposal_add(actor=agent, change=change, data=attribute(relay, "attributes.version", "2.0"))
    complete(agent, move(agent, change, "start"), "successful")
    relay.refresh_from_db()
    assert relay.attributes["version"] == "2.0"
    assert relay.history.latest().history_user.username == "system"


def test_a_proposal_voids_the_approval_of_a_scheduled_normal_change(make_user, change_manager, admin_user):
    """Through the real approvals: the approvers agreed to what the change would do."""
    from changes.services.approvals import latest_authorisation
    from itsm.approval_models import ApprovalState
    from tests.changes.factories_approvals import approve, make_rule, under_authorisation

    requester, ann = make_user("agent", username="rita"), make_user("cab_member", username="ann")
    relay = live_ci()
    make_rule(admin_user, name="CAB", users=[ann])
    change = under_authorisation(change_manager, requester, cis=[relay])
    change = move(change_manager, approve(ann, change, "CAB"), "schedule")
    first = latest_authorisation(change)

    proposal_add(actor=requester, change=change, data=attribute(relay, "description", "patched"))

    first.refresh_from_db()
    change.refresh_from_db()
    assert first.state == ApprovalState.INVALIDATED
    assert change.state == ChangeState.AUTHORISATION and change.authorised_at is None
