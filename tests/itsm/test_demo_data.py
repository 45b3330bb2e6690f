"""manage.py demo_data: one user per role, three teams, two customers; twice changes nothing."""

from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from itsm.choices import Role
from itsm.management.commands.demo_data import DEMO_PASSWORD
from itsm.models import Customer, Team, User

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        Counter(User.objects.values_list("username", flat=True)),
        Counter(Team.objects.values_list("name", flat=True)),
        Counter(Customer.objects.values_list("code", flat=True)),
        sorted(Team.members.through.objects.values_list("team__name", "user__username")),
    )


def test_running_it_twice_creates_everything_once(settings):
    settings.DEBUG = True

    call_command("demo_data", incidents=0)
    first = _snapshot()
    call_command("demo_data", incidents=0)

    assert _snapshot() == first
    users, teams, customers, _ = first
    assert set(users.values()) == {1}
    assert sorted(teams) == ["Application Support", "Network Operations", "Service Desk"]
    assert sorted(customers) == ["acme", "demo-sla", "globex"]  # demo-sla: the SLA escalation demo


def test_every_role_has_a_demo_user_who_can_sign_in(settings):
    settings.DEBUG = True

    call_command("demo_data", incidents=0)

    for role in Role:
        users = User.objects.filter(groups__name=role, is_active=True).exclude(username="system")
        assert users.exists(), f"no demo user with role {role}"
        assert all(user.check_password(DEMO_PASSWORD) for user in users)
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser


def test_teams_have_a_lead_who_is_a_member_and_history_names_the_system_account(settings):
    settings.DEBUG = True

    call_command("demo_data", incidents=0)

    desk = Team.objects.get(name="Service Desk")
    assert desk.lead.username == "lead"
    assert set(desk.members.values_list("username", flat=True)) == {"lead", "agent"}
    for team in Team.objects.all():
        assert team.lead is not None and team.members.filter(pk=team.lead.pk).exists()
    assert Customer.objects.get(code="acme").history.get().history_user.username == "system"


def test_it_refuses_to_run_without_debug_and_writes_nothing(settings):
    settings.DEBUG = False
    before = _snapshot()

    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("demo_data", incidents=0)

    assert _snapshot() == before
    assert not User.objects.filter(username="admin").exists()


def test_force_runs_it_without_debug(settings):
    settings.DEBUG = False

    call_command("demo_data", force=True, incidents=0)

    assert User.objects.filter(username="admin").exists()


def test_existing_objects_are_left_as_they_are(settings):
    settings.DEBUG = True
    call_command("demo_data", incidents=0)
    agent = User.objects.get(username="agent")
    agent.set_password("changed-by-the-user-1")
    agent.save()

    call_command("demo_data", incidents=0)

    agent.refresh_from_db()
    assert agent.check_password("changed-by-the-user-1")


def test_the_demo_history_is_withheld_from_the_outbox_and_later_messages_are_not(settings):
    from itsm.choices import OutboxStatus
    from itsm.models import OutboxMessage
    from itsm.outbox import outbox_enqueue

    settings.DEBUG = True
    call_command("demo_data", incidents=0)

    statuses = set(OutboxMessage.objects.values_list("status", "last_error"))
    assert statuses == {(OutboxStatus.WITHHELD, "demo data: history, not sent")}  # the SLA demo's incidents
    assert outbox_enqueue("email", {"to": ["a@example.com"], "subject": "s", "body": "b"}).status == (
        OutboxStatus.PENDING)
