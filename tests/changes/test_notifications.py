"""Change notifications: which outbox emails the change events write, to whom (once each, never
to the actor), with the one-click approval links in the approval-requested email."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

import changes.notifications  # noqa: F401  the routes (ChangesConfig.ready imports them too)
from changes.selectors_approvals import pending_authorisation
from changes.services.approval_links import approval_link_read
from itsm.choices import Role
from itsm.events import emit
from itsm.models import OutboxMessage
from itsm.services import system_actor
from tests.changes.factories import move
from tests.changes.factories_approvals import approve, make_rule, reject, under_authorisation

pytestmark = pytest.mark.django_db


def mails():
    """(recipient, subject) of every email in the outbox, oldest first."""
    return [(m.payload["to"][0], m.payload["subject"]) for m in OutboxMessage.objects.filter(topic="email").order_by("pk")]


def body_to(address):
    return OutboxMessage.objects.filter(payload__to=[address]).order_by("-pk").first().payload["body"]


def forget_mails():
    OutboxMessage.objects.all().delete()


@pytest.fixture
def people(make_user, change_manager, admin_user):
    return {
        "manager": change_manager, "admin": admin_user,
        "requester": make_user(Role.AGENT, username="rita"),
        "implementer": make_user(Role.AGENT, username="ivan"),
        "ann": make_user(Role.CAB_MEMBER, username="ann"),
        "bob": make_user(Role.CAB_MEMBER, username="bob"),
    }


@pytest.fixture
def change(people):
    make_rule(people["admin"], name="CAB", users=[people["ann"], people["bob"], people["requester"]])
    make_rule(people["admin"], name="Managers", users=[people["bob"], people["manager"]])
    forget_mails()
    return under_authorisation(people["manager"], people["requester"], implementer=people["implementer"])


def links_in(body):
    return [approval_link_read(parse_qs(urlsplit(url).query)["t"][0])
            for url in re.findall(r"\S*/changes/approvals/link/\?t=\S+", body)]


def test_approval_requested_mails_each_approver_once_with_their_links(people, change):
    subject = f"[{change.number}] Your approval is requested: Patch the mail relays"
    # the requester is excluded, the change manager asked (the actor): neither is mailed
    assert sorted(mails()) == [("ann@example.com", subject), ("bob@example.com", subject)]
    groups = {g.name: g.pk for g in pending_authorisation(change).groups.all()}
    ann_links = links_in(body_to("ann@example.com"))
    assert {(link.group_id, link.user_id, link.outcome) for link in ann_links} == {
        (groups["CAB"], people["ann"].pk, "approve"), (groups["CAB"], people["ann"].pk, "reject")}
    bob_body = body_to("bob@example.com")
    assert {(link.group_id, link.outcome) for link in links_in(bob_body)} == {
        (groups["CAB"], "approve"), (groups["CAB"], "reject"), (groups["Managers"], "approve"),
        (groups["Managers"], "reject")}
    assert "As CAB:" in bob_body and "As Managers:" in bob_body and "works for 72 hours" in bob_body


def test_authorised_and_scheduled_mail_the_requester_and_implementer(people, change):
    approve(people["ann"], change, "CAB")
    forget_mails()
    change = approve(people["manager"], change, "Managers")
    subject = f"[{change.number}] Change authorised: Patch the mail relays"
    assert sorted(mails()) == [("ivan@example.com", subject), ("rita@example.com", subject)]

    forget_mails()
    move(people["manager"], change, "schedule")
    subject = f"[{change.number}] Change scheduled: Patch the mail relays"
    assert sorted(mails()) == [("ivan@example.com", subject), ("rita@example.com", subject)]


def test_a_rejection_mails_the_requester_and_implementer_with_the_comment(people, change):
    reject(people["bob"], change, "Managers", "The backout plan is untested")
    subject = f"[{change.number}] Change rejected: Patch the mail relays"
    assert sorted(m for m in mails() if "rejected" in m[1]) == [("ivan@example.com", subject),
                                                                 ("rita@example.com", subject)]
    assert "The backout plan is untested" in body_to("rita@example.com")


def test_conflicts_overdue_and_review_reminders(people, change):
    forget_mails()
    system = system_actor()
    emit("change.conflict_found", record=change, actor=system,
         payload={"conflicts": ["Inside a blackout window: Year-end freeze"]})
    assert sorted(mails()) == [("ivan@example.com", f"[{change.number}] Schedule conflict: Patch the mail relays"),
                               ("rita@example.com", f"[{change.number}] Schedule conflict: Patch the mail relays")]
    assert "- Inside a blackout window: Year-end freeze" in body_to("rita@example.com")

    forget_mails()
    emit("change.implementation_overdue", record=change, actor=system)
    assert mails() == [("ivan@example.com", f"[{change.number}] Implementation overdue: Patch the mail relays")]

    forget_mails()
    emit("change.review_due", record=change, actor=system)
    assert mails() == [("chgmgr@example.com", f"[{change.number}] Review due: Patch the mail relays")]


def test_events_of_other_records_are_not_routed(people, make_user):
    forget_mails()
    emit("approval.requested", record=people["ann"], actor=system_actor(),
         payload={"approval": 1, "purpose": "authorisation", "approvers": [people["bob"].pk]})
    assert mails() == []
