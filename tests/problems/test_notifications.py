"""Problem notifications: which outbox emails each problem service writes, and to whom (once each)."""

import pytest
from django.test import override_settings

from incidents import services as incident_services
from itsm.choices import Role
from itsm.events import emit
from itsm.models import OutboxMessage
from itsm.services import system_actor
from problems import services
from tests.factories import UserFactory
from tests.incidents.factories import make_incident, make_team_with
from tests.problems.factories import make_problem, move, publish

pytestmark = pytest.mark.django_db


def mails():
    """(recipient, subject) of every email in the outbox, oldest first."""
    return [(m.payload["to"][0], m.payload["subject"])
            for m in OutboxMessage.objects.filter(topic="email").order_by("pk")]


def body_to(address):
    return OutboxMessage.objects.get(payload__to=[address]).payload["body"]


def forget_mails():
    OutboxMessage.objects.all().delete()


@pytest.fixture
def people(problem_manager):
    alice = UserFactory(username="alice", roles=[Role.AGENT])
    bob = UserFactory(username="bob", roles=[Role.AGENT])
    carol = UserFactory(username="carol", roles=[Role.AGENT])
    lead = UserFactory(username="lena", roles=[Role.TEAM_LEAD])
    team = make_team_with(alice, bob, name="Messaging")
    return {"alice": alice, "bob": bob, "carol": carol, "lead": lead, "team": team, "pm": problem_manager}


def incident_of(assignee, team, actor):
    incident = make_incident(actor, short_description=f"Mail bounces for {assignee.username}")
    return incident_services.incident_assign(actor=actor, incident=incident, group=team, assignee=assignee)


def test_assignment_mails_the_assignee_and_the_other_members_of_a_new_group(people):
    problem = make_problem(people["pm"])
    forget_mails()

    services.problem_assign(actor=people["pm"], problem=problem, group=people["team"], assignee=people["alice"])

    assert mails() == [
        ("alice@example.com", f"[{problem.number}] Problem assigned to you: Mail server drops connections"),
        ("bob@example.com", f"[{problem.number}] Problem assigned to Messaging: Mail server drops connections"),
    ]
    assert OutboxMessage.objects.get(payload__to=["alice@example.com"]).event.name == "problem.assigned"
    assert f"Problem {problem.number} has been assigned to you." in body_to("alice@example.com")


def test_a_new_assignee_in_the_same_group_alone_is_told_and_never_the_actor(people):
    problem = make_problem(people["pm"], assignment_group=people["team"], assignee=people["alice"])
    forget_mails()

    services.problem_assign(actor=people["alice"], problem=problem, group=people["team"], assignee=people["bob"])

    assert mails() == [("bob@example.com", f"[{problem.number}] Problem assigned to you: "
                                           "Mail server drops connections")]


def test_a_team_address_replaces_the_members(people):
    people["team"].email = "messaging@example.com"
    people["team"].save()

    problem = make_problem(people["pm"], assignment_group=people["team"])

    assert mails() == [("messaging@example.com",
                        f"[{problem.number}] Problem assigned to Messaging: Mail server drops connections")]


def test_workaround_available_mails_each_assignee_of_the_open_linked_incidents_once(people):
    # given four linked incidents: two of alice's, one of bob's, one closed (carol's, resolved)
    lead, pm = people["lead"], people["pm"]
    alices = [incident_of(people["alice"], people["team"], lead) for _ in range(2)]
    bobs = incident_of(people["bob"], people["team"], lead)
    carols = incident_of(people["carol"], make_team_with(people["carol"], name="Desk"), lead)
    incident_services.incident_transition(actor=people["carol"], incident=carols, name="resolve",
                                          data={"resolution_code": "solved_permanently", "resolution_notes": "x"})
    problem = services.problem_from_incidents(actor=pm, incidents=[*alices, bobs, carols])
    forget_mails()

    # when the problem manager publishes the known error
    publish(pm, problem)

    # then alice gets one mail naming both her incidents, bob one, carol (resolved) none
    subject = f"[{problem.number}] Workaround available: Mail bounces for alice"
    assert sorted(mails()) == [("alice@example.com", subject), ("bob@example.com", subject)]
    body = body_to("alice@example.com")
    assert all(incident.number in body for incident in alices) and bobs.number not in body
    assert "Restart the mail relay." in body


def test_problem_resolved_mails_the_assignees_of_the_waiting_incidents(people):
    incident = incident_of(people["alice"], people["team"], people["lead"])
    problem = services.problem_from_incidents(actor=people["pm"], incidents=[incident], hold=True)
    forget_mails()

    move(people["pm"], problem, "resolve", resolution_code="fixed", resolution_notes="Relay upgraded.")

    assert mails() == [("alice@example.com", f"[{problem.number}] Problem resolved: Mail bounces for alice")]
    body = body_to("alice@example.com")
    assert incident.number in body and "Relay upgraded." in body and "back in progress" in body


def test_a_problem_without_linked_incidents_resolves_without_mail(people):
    problem = make_problem(people["pm"])
    forget_mails()

    move(people["pm"], problem, "resolve", resolution_code="fixed", resolution_notes="Patched.")

    assert mails() == []


def test_a_task_mails_its_assignee_and_a_reassignment_mails_the_new_one(people):
    problem = make_problem(people["pm"])
    forget_mails()

    task = services.problem_task_create(actor=people["pm"], problem=problem, data={
        "short_description": "Read the relay logs", "assignee": people["alice"]})
    services.problem_task_update(actor=people["pm"], task=task, data={"assignee": people["bob"]})
    services.problem_task_update(actor=people["pm"], task=task, data={"short_description": "Read all logs"})

    subject = f"[{problem.number}] Investigation task for you: Read the relay logs"
    assert mails() == [("alice@example.com", subject), ("bob@example.com", subject)]


def test_a_task_given_to_oneself_sends_nothing(people):
    problem = make_problem(people["pm"])
    forget_mails()

    services.problem_task_create(actor=people["alice"], problem=problem, data={
        "short_description": "Read the relay logs", "assignee": people["alice"]})

    assert mails() == []


def test_an_sla_escalation_mails_the_named_person(people):
    problem = make_problem(people["pm"])
    forget_mails()

    emit("problem.sla_escalated", record=problem, actor=system_actor(),
         payload={"recipient": people["bob"].pk, "metric": "resolution", "percent": 75})

    assert mails() == [("bob@example.com", f"[{problem.number}] SLA warning: 75 % of the resolution time used")]


def test_people_without_an_address_or_inactive_are_skipped(people):
    people["alice"].email = ""
    people["alice"].save()
    people["bob"].is_active = False
    people["bob"].save()

    make_problem(people["pm"], assignment_group=people["team"])

    assert mails() == []


@override_settings(LANGUAGES=[("en", "English"), ("zh-hans", "Chinese")])
def test_each_mail_is_rendered_in_the_recipients_language(people):
    people["bob"].language = "zh-hans"
    people["bob"].save()

    make_problem(people["pm"], assignment_group=people["team"])

    languages = {m.payload["to"][0]: m.payload["language"] for m in OutboxMessage.objects.all()}
    assert languages == {"alice@example.com": "en", "bob@example.com": "zh-hans"}
