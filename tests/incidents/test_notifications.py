"""Incident notifications: which outbox emails each service call writes, and to whom."""

import pytest
from django.test import override_settings

from incidents import services
from itsm.choices import OutboxStatus, Role
from itsm.exceptions import NotPermitted
from itsm.models import OutboxMessage
from tests.factories import UserFactory
from tests.incidents.factories import make_incident, make_team_with, resolve

pytestmark = pytest.mark.django_db


def mails():
    """(recipient, subject) of every email in the outbox, oldest first."""
    return [(m.payload["to"][0], m.payload["subject"])
            for m in OutboxMessage.objects.filter(topic="email").order_by("pk")]


def recipients():
    return sorted(to for to, _subject in mails())


def forget_mails():
    OutboxMessage.objects.all().delete()


@pytest.fixture
def desk():
    alice = UserFactory(username="alice", roles=[Role.AGENT])
    bob = UserFactory(username="bob", roles=[Role.AGENT])
    lead = UserFactory(username="lena", roles=[Role.TEAM_LEAD])
    caller = UserFactory(username="carl", roles=[Role.REQUESTER])
    team = make_team_with(alice, bob, name="Network")
    return {"alice": alice, "bob": bob, "lead": lead, "caller": caller, "team": team}


def test_assignment_to_a_group_and_member_mails_the_assignee_and_the_other_members(desk):
    # given an unassigned incident
    incident = make_incident(desk["lead"], caller=desk["caller"])
    forget_mails()

    # when the lead assigns it to Network / alice
    services.incident_assign(actor=desk["lead"], incident=incident, group=desk["team"], assignee=desk["alice"])

    # then alice is told it is hers, bob that it is his team's; one message each
    assert mails() == [
        ("alice@example.com", f"[{incident.number}] Assigned to you: Mail is down"),
        ("bob@example.com", f"[{incident.number}] Assigned to Network: Mail is down"),
    ]
    message = OutboxMessage.objects.get(payload__to=["alice@example.com"])
    assert message.status == OutboxStatus.PENDING
    assert message.event.name == "incident.assigned"
    assert "Incident %s has been assigned to you." % incident.number in message.payload["body"]


def test_a_team_email_replaces_the_members(desk):
    # given a team with its own address
    desk["team"].email = "network@example.com"
    desk["team"].save()

    # when an incident is logged straight into the team
    incident = make_incident(desk["lead"], caller=desk["caller"], assignment_group=desk["team"])

    # then the team address gets the one message, with the agents' page
    assert mails() == [("network@example.com", f"[{incident.number}] Assigned to Network: Mail is down")]
    assert OutboxMessage.objects.get().payload["body"].endswith(f"/incidents/{incident.pk}/\n")


def test_a_new_assignee_within_the_group_is_told_and_the_group_is_not(desk):
    # given an incident of Network assigned to alice
    incident = make_incident(desk["lead"], caller=desk["caller"], assignment_group=desk["team"],
                             assignee=desk["alice"])
    forget_mails()

    # when alice hands it to bob
    services.incident_assign(actor=desk["alice"], incident=incident, group=desk["team"], assignee=desk["bob"])

    # then only bob hears of it
    assert mails() == [("bob@example.com", f"[{incident.number}] Assigned to you: Mail is down")]


def test_taking_an_incident_tells_nobody_about_ones_own_action(desk):
    # given an incident of Network without assignee
    incident = make_incident(desk["lead"], caller=desk["caller"], assignment_group=desk["team"])
    forget_mails()

    # when alice assigns it to herself
    services.incident_assign_to_me(actor=desk["alice"], incident=incident)

    # then no email at all (the group did not change; alice acted herself)
    assert mails() == []


def test_the_actor_is_not_mailed_as_a_member_of_the_new_group(desk):
    incident = make_incident(desk["lead"], caller=desk["caller"])
    forget_mails()

    services.incident_assign(actor=desk["alice"], incident=incident, group=desk["team"], assignee=None)

    assert recipients() == ["bob@example.com"]


def test_members_without_email_are_skipped(desk):
    desk["bob"].email = ""
    desk["bob"].save()
    incident = make_incident(desk["lead"], caller=desk["caller"])
    forget_mails()

    services.incident_assign(actor=desk["lead"], incident=incident, group=desk["team"], assignee=None)

    assert recipients() == ["alice@example.com"]


def test_each_recipient_gets_a_message_in_their_own_language(desk):
    # given bob reads Chinese
    desk["bob"].language = "zh-hans"
    desk["bob"].save()
    incident = make_incident(desk["lead"], caller=desk["caller"])
    forget_mails()

    # when the incident goes to the team
    services.incident_assign(actor=desk["lead"], incident=incident, group=desk["team"], assignee=None)

    # then each message was rendered for its recipient's language
    languages = {m.payload["to"][0]: m.payload["language"] for m in OutboxMessage.objects.all()}
    assert languages == {"alice@example.com": "en", "bob@example.com": "zh-hans"}


def test_the_templates_are_rendered_with_the_recipients_language_active(desk, monkeypatch):
    # given bob reads Chinese, and a spy on the template rendering
    from django.utils import translation

    from incidents import notifications

    desk["bob"].language = "zh-hans"
    desk["bob"].save()
    incident = make_incident(desk["lead"], caller=desk["caller"])
    rendered = []
    real_render = notifications.render_to_string

    def spy(name, context):
        rendered.append((context["recipient"].username, name.rsplit("/", 1)[-1], translation.get_language()))
        return real_render(name, context)

    monkeypatch.setattr(notifications, "render_to_string", spy)

    # when the incident goes to the team
    services.incident_assign(actor=desk["lead"], incident=incident, group=desk["team"], assignee=None)

    # then subject and body of each message were rendered in that person's language
    assert rendered == [("alice", "assigned_subject.txt", "en"), ("alice", "assigned_body.txt", "en"),
                        ("bob", "assigned_subject.txt", "zh-hans"), ("bob", "assigned_body.txt", "zh-hans")]


def test_a_public_comment_by_the_caller_mails_the_assignee(desk):
    # given an incident assigned to alice
    incident = make_incident(desk["lead"], caller=desk["caller"], assignment_group=desk["team"],
                             assignee=desk["alice"])
    forget_mails()

    # when the caller comments
    services.incident_comment(actor=desk["caller"], incident=incident, body="Still broken & slow")

    # then alice gets the comment, unescaped
    assert mails() == [("alice@example.com", f"[{incident.number}] The caller commented: Mail is down")]
    body = OutboxMessage.objects.get().payload["body"]
    assert "Still broken & slow" in body
    assert "commented on incident %s" % incident.number in body


def test_comments_by_the_service_desk_and_work_notes_mail_nobody(desk):
    incident = make_incident(desk["lead"], caller=desk["caller"], assignment_group=desk["team"],
                             assignee=desk["alice"])
    forget_mails()

    services.incident_comment(actor=desk["bob"], incident=incident, body="Looking into it")
    services.incident_comment(actor=desk["bob"], incident=incident, body="Router 7 again", internal=True)
    services.incident_comment(actor=desk["alice"], incident=incident, body="Fixed soon")

    assert mails() == []


def test_a_caller_comment_without_assignee_mails_nobody(desk):
    incident = make_incident(desk["lead"], caller=desk["caller"], assignment_group=desk["team"])
    forget_mails()

    services.incident_comment(actor=desk["caller"], incident=incident, body="Any news?")

    assert mails() == []


@override_settings(SITE_URL="https://itsm.example.com")
def test_resolution_mails_the_caller_with_the_portal_link(desk):
    # given an incident of the caller
    incident = make_incident(desk["lead"], caller=desk["caller"], assignment_group=desk["team"],
                             assignee=desk["alice"])
    forget_mails()

    # when alice resolves it
    resolve(desk["alice"], incident)

    # then the caller is told, with the link to their portal page and the resolution notes
    assert mails() == [("carl@example.com", f"[{incident.number}] Your incident has been resolved: Mail is down")]
    body = OutboxMessage.objects.get().payload["body"]
    assert f"https://itsm.example.com/portal/incidents/{incident.pk}/" in body
    assert "Restarted the service." in body
    assert "within 7 days" in body


def test_resolution_of_an_outside_caller_goes_to_the_contact_email(desk):
    incident = make_incident(desk["lead"], caller=None, contact_name="Dora", contact_email="dora@example.org")
    forget_mails()

    resolve(desk["alice"], incident)

    # (without a link: an outside caller has no account to open it with)
    assert recipients() == ["dora@example.org"]
    assert "/incidents/" not in OutboxMessage.objects.get().payload["body"]


def test_other_transitions_mail_nobody(desk):
    incident = make_incident(desk["lead"], caller=desk["caller"])
    forget_mails()

    services.incident_transition(actor=desk["alice"], incident=incident, name="start")
    services.incident_transition(actor=desk["alice"], incident=incident, name="hold",
                                 data={"on_hold_reason": "awaiting_caller"})

    assert mails() == []


def test_reopening_and_confirming_mail_nobody_new(desk):
    incident = make_incident(desk["lead"], caller=desk["caller"])
    resolve(desk["alice"], incident)
    forget_mails()

    services.incident_transition(actor=desk["caller"], incident=incident, name="reopen", reason="Not fixed")

    assert mails() == []


def test_major_promotion_mails_every_team_lead_but_the_actor(desk):
    # given a second lead, and a lead without email
    other_lead = UserFactory(username="olga", roles=[Role.TEAM_LEAD])
    UserFactory(username="nomail", roles=[Role.TEAM_LEAD], email="")
    incident = make_incident(desk["lead"], caller=desk["caller"])
    forget_mails()

    # when lena promotes it
    services.incident_promote_major(actor=desk["lead"], incident=incident, reason="Whole site down")

    # then olga is told, lena (who acted) and the lead without email are not
    assert mails() == [(other_lead.email, f"[{incident.number}] Major incident: Mail is down")]
    assert "Whole site down" in OutboxMessage.objects.get().payload["body"]


def test_a_refused_change_writes_no_email(desk):
    # given an incident, and a requester who may not assign
    incident = make_incident(desk["lead"], caller=desk["caller"])
    forget_mails()

    # when the requester tries to assign it
    with pytest.raises(NotPermitted):
        services.incident_assign(actor=desk["caller"], incident=incident, group=desk["team"], assignee=None)

    # then nothing was written
    assert mails() == []
