"""What lands on the trail: every history row, journal entry, attachment, sign-in, role change,
token and export, with who, what, which record and from where."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from audits.models import AuditEntry
from itsm import services as kernel
from itsm.attachments import attachment_add
from itsm.choices import Role
from itsm.journal import record_comment
from tests.conftest import PASSWORD
from tests.kernel_app import services as tickets
from tests.kernel_app.factories import make_ticket

pytestmark = pytest.mark.django_db


def entries(**filters):
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def test_a_created_record_is_on_the_trail_with_its_number_and_values(agent):
    ticket = make_ticket(agent, title="Printer on fire")

    [entry] = entries(action="created", object_id=ticket.pk, content_type__model="ticket")
    assert entry.label == ticket.number
    assert entry.user_id == agent.pk and entry.username == "agent"
    assert entry.changes["title"] == [None, "Printer on fire"]


def test_a_changed_record_shows_before_and_after_of_the_changed_fields_only(agent):
    ticket = make_ticket(agent, title="Printer on fire")

    tickets.ticket_update(actor=agent, ticket=ticket, data={"title": "Printer smoking"})

    [entry] = entries(action="changed", object_id=ticket.pk)
    assert entry.changes["title"] == ["Printer on fire", "Printer smoking"]
    assert "state" not in entry.changes
    assert entry.username == "agent"


def test_a_comment_is_on_the_trail_with_its_text_and_record(agent):
    ticket = make_ticket(agent)

    record_comment(record=ticket, actor=agent, body="Called the customer", internal=True)

    [entry] = entries(action="journal")
    assert (entry.label, entry.object_id, entry.username) == (ticket.number, ticket.pk, "agent")
    assert entry.changes["body"] == "Called the customer"
    assert entry.changes["kind"] == "work_note"


def test_an_attachment_is_on_the_trail_with_its_hash(agent):
    ticket = make_ticket(agent)

    attachment = attachment_add(record=ticket, actor=agent, upload=SimpleUploadedFile("log.txt", b"boom"))

    [entry] = entries(action="attachment_added")
    assert entry.object_id == ticket.pk
    assert entry.changes["sha256"] == attachment.sha256 and entry.changes["file"] == "log.txt"


def test_a_failed_write_leaves_no_entry(agent):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_ticket(agent, title="rolled back")
        raise RuntimeError

    assert not AuditEntry.objects.filter(label__startswith="TKT").exists()


def test_sign_in_failure_and_sign_out_are_on_the_trail_with_the_address(make_user):
    make_user(Role.AGENT, username="ann", first_name="Ann", last_name="Lee", password=PASSWORD)
    browser = Client(REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="Firefox/140")

    browser.post(reverse("login"), {"username": "ann", "password": "wrong"})
    browser.post(reverse("login"), {"username": "ann", "password": PASSWORD})
    browser.post(reverse("logout"))

    trail = [(e.action, e.username, e.label, e.address, e.user_agent) for e in entries(
        action__in=["sign_in_failed", "signed_in", "signed_out"])]
    assert trail == [
        ("sign_in_failed", "", "ann", "192.0.2.7", "Firefox/140"),
        ("signed_in", "ann", "Ann Lee", "192.0.2.7", "Firefox/140"),
        ("signed_out", "ann", "Ann Lee", "192.0.2.7", "Firefox/140"),
    ]
    assert "wrong" not in str(entries(action="sign_in_failed")[0].changes)


def test_a_role_given_and_taken_is_on_the_trail(admin_user, make_user):
    person = make_user(Role.AGENT, username="bob")
    auditors = Group.objects.get(name=Role.AUDITOR)

    person.groups.add(auditors)
    auditors.user_set.remove(person)

    changes = [e.changes for e in entries(action="roles_changed", object_id=person.pk)]
    assert changes[-2:] == [{"groups": {"added": ["auditor"]}}, {"groups": {"removed": ["auditor"]}}]


def test_tokens_created_and_revoked_are_on_the_trail(agent):
    token, _ = kernel.token_create(actor=agent, user=agent, name="ci", days=1, read_only=True)
    kernel.token_revoke(actor=agent, token=token)

    trail = [(e.action, e.label, e.changes["read_only"]) for e in entries(action__startswith="token_")]
    assert trail == [("token_created", str(token), True), ("token_revoked", str(token), True)]


def test_a_write_through_an_api_token_names_the_token(agent, token_client):
    client = token_client(agent)
    token = agent.api_tokens.get()

    response = client.post(reverse("api:itsm:token-list"), {"name": "second", "days": 1}, format="json")

    assert response.status_code == 201
    [entry] = entries(action="token_created", label__startswith="second")
    assert (entry.username, entry.token_id) == ("agent", token.pk)


def test_an_export_is_on_the_trail_with_its_filter(client, admin_user):
    client.force_login(admin_user)

    response = client.get(reverse("team_list"), {"export": "csv", "q": "net"})
    b"".join(response.streaming_content)

    [entry] = entries(action="export_made")
    assert entry.username == "admin"
    assert entry.label.startswith("teams-") and entry.changes["url"] == "/teams/?export=csv&q=net"
