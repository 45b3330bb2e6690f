"""The auditor's pages and API: the trail filtered, paged and exported; the verification."""

import csv
import io

import pytest
from django.urls import reverse

from audits.models import AuditEntry, Verification
from itsm.choices import Role
from tests.audits.factories import make_entries, tamper
from tests.kernel_app.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(agent, team_lead):
    """Two tickets, one by each person, and one changed."""
    first = make_ticket(agent, title="Mail down")
    second = make_ticket(team_lead, title="VPN slow")
    return first, second


def test_the_audit_menu_offers_the_trail_to_auditors_not_to_agents(client, auditor, agent):
    client.force_login(auditor)
    html = client.get(reverse("home")).content.decode()
    assert reverse("audit_trail") in html and "Audit management is not available yet" not in html

    client.force_login(agent)
    assert reverse("audit_trail") not in client.get(reverse("home")).content.decode()


def test_the_trail_filters_by_user_and_record(client, auditor, agent, trail):
    first, _ = trail
    client.force_login(auditor)

    by_user = client.get(reverse("audit_trail"), {"user": agent.pk})
    by_record = client.get(reverse("audit_trail"), {"label": first.number})

    assert {e.username for e in by_user.context["object_list"]} == {"agent"}
    assert [(e.action, e.label) for e in by_record.context["object_list"]] == [("created", first.number)]
    assert first.number in by_record.content.decode()


def test_the_trail_filters_by_record_type_and_period(client, auditor, trail):
    first, second = trail
    ticket_type = AuditEntry.objects.get(label=first.number).content_type_id
    client.force_login(auditor)

    rows = client.get(reverse("audit_trail"), {"record_type": ticket_type}).context["object_list"]
    later = client.get(reverse("audit_trail"), {"after": "2999-01-01T00:00:00Z"}).context["object_list"]

    assert [e.label for e in rows] == [second.number, first.number]
    assert list(later) == []


def test_the_trail_page_reads_a_constant_number_of_queries(client, auditor, agent, django_assert_max_num_queries):
    client.force_login(auditor)
    make_entries(3)
    client.get(reverse("audit_trail"))  # warm the content types' cache
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("audit_trail"))
    make_entries(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("audit_trail"))


def test_the_trail_exports_as_csv_and_the_export_is_recorded(client, auditor, trail):
    first, _ = trail
    client.force_login(auditor)

    response = client.get(reverse("audit_trail"), {"label": first.number, "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert rows[0][:4] == ["Entry", "When", "Action", "User"]
    assert [(row[2], row[3], row[8]) for row in rows[1:]] == [("Created", "agent", first.number)]
    assert AuditEntry.objects.filter(action="export_made", username="auditor").count() == 1


def test_an_auditor_verifies_the_trail_from_the_page(client, auditor, trail):
    client.force_login(auditor)

    response = client.post(reverse("audit_verify"), follow=True)

    assert "The audit trail is intact" in response.content.decode()
    assert Verification.objects.get().ok
    assert "Intact:" in client.get(reverse("audit_verify")).content.decode()


def test_the_page_shows_a_broken_trail(client, admin_user, trail):
    client.force_login(admin_user)
    client.post(reverse("audit_verify"))
    first = AuditEntry.objects.get(label=trail[0].number)
    tamper("UPDATE audits_auditentry SET label = 'X' WHERE id = %s", [first.pk])

    response = client.post(reverse("audit_verify"), follow=True)

    assert "The audit trail is broken" in response.content.decode()
    assert f"(id {first.pk}) was changed" in client.get(reverse("audit_verify")).content.decode()


def test_the_api_lists_the_trail_with_the_same_filters(api, auditor, agent, trail):
    first, _ = trail
    api.force_authenticate(auditor)

    response = api.get(reverse("api:audits:trail-list"), {"label": first.number})

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["action"], row["username"], row["record_type"], row["object_id"]) == (
        "created", "agent", "ticket", first.pk)
    assert row["changes"]["title"] == [None, "Mail down"]


def test_the_api_refuses_a_bad_filter(api, auditor):
    api.force_authenticate(auditor)

    response = api.get(reverse("api:audits:trail-list"), {"after": "yesterday"})

    assert response.status_code == 400 and "after" in str(response.json())


def test_the_api_shows_the_latest_verification(api, client, auditor, trail):
    client.force_login(auditor)
    client.post(reverse("audit_verify"))
    api.force_authenticate(auditor)

    data = api.get(reverse("api:audits:verification")).json()

    assert data["latest"]["ok"] is True and data["latest"]["checked"] >= 2
    assert data["anchors"] == []


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEAD, Role.REQUESTER])
def test_others_cannot_read_the_trail(api, make_user, role):
    api.force_authenticate(make_user(role))

    assert api.get(reverse("api:audits:trail-list")).status_code == 403


@pytest.mark.parametrize("path", ["/admin/audits/auditentry/", "/admin/audits/auditanchor/",
                                  "/admin/audits/verification/"])
def test_the_admin_lists_the_trail_read_only(client, make_user, agent, path):
    make_ticket(agent)
    client.force_login(make_user("administrator", username="operator", is_staff=True, is_superuser=True))

    assert client.get(path).status_code == 200
    entry = AuditEntry.objects.first()
    client.post(f"/admin/audits/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
