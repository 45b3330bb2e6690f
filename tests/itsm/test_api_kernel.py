"""Kernel endpoints: me, users, customers, teams, tokens."""

import pytest

from itsm.models import ApiToken, Customer, Team
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_me_returns_the_caller_with_roles_and_no_secrets(agent, token_client):
    body = token_client(agent).get("/api/v1/me/").json()

    assert body["username"] == "agent" and body["roles"] == ["agent"]
    assert "password" not in body


def test_requesters_cannot_list_users_or_teams(requester, token_client):
    client = token_client(requester)

    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/api/v1/users/").status_code == 403
    assert client.get("/api/v1/teams/").status_code == 403


def test_an_administrator_creates_a_customer_and_its_history_names_them(admin_user, token_client):
    response = token_client(admin_user).post(
        "/api/v1/customers/", {"code": "acme", "name": "Acme Manufacturing"}, format="json"
    )

    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(code="acme")
    assert customer.history.get().history_user == admin_user


def test_agents_may_read_customers_but_not_create_them(agent, token_client):
    CustomerFactory(name="Globex")
    client = token_client(agent)

    assert [c["name"] for c in client.get("/api/v1/customers/").json()["results"]] == ["Globex"]
    assert client.post("/api/v1/customers/", {"code": "x", "name": "X"}, format="json").status_code == 403


def test_a_duplicate_customer_code_is_a_field_error(admin_user, token_client):
    CustomerFactory(code="acme")

    response = token_client(admin_user).post("/api/v1/customers/", {"code": "acme", "name": "Other"}, format="json")

    assert response.status_code == 400
    assert "code" in response.json()["error"]["fields"]


def test_a_team_lead_is_always_a_member(admin_user, token_client):
    lead, member = UserFactory(username="lina"), UserFactory(username="mo")

    response = token_client(admin_user).post(
        "/api/v1/teams/", {"name": "Network", "lead": lead.pk, "members": [member.pk]}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert sorted(m["username"] for m in response.json()["members"]) == ["lina", "mo"]


def test_team_update_needs_the_current_version(admin_user, token_client):
    team = TeamFactory(name="Desk")
    client = token_client(admin_user)

    assert client.patch(f"/api/v1/teams/{team.pk}/", {"name": "Service Desk", "version": 1},
                        format="json").status_code == 200
    stale = client.patch(f"/api/v1/teams/{team.pk}/", {"name": "Help Desk", "version": 1}, format="json")

    assert stale.status_code == 412
    assert Team.objects.get(pk=team.pk).name == "Service Desk"


def test_team_list_query_count_does_not_grow_with_rows(admin_user, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api.force_authenticate(admin_user)
    TeamFactory(members=[UserFactory()])
    api.get("/api/v1/teams/")  # warm per-process caches (content types)
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/teams/")
    for _ in range(20):
        TeamFactory(members=[UserFactory(), UserFactory()], lead=UserFactory())
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/teams/").json()["results"]) == 21

    assert len(many) == len(one)


def test_tokens_are_created_shown_once_listed_without_secret_and_revoked(agent, api):
    api.force_authenticate(agent)

    created = api.post("/api/v1/tokens/", {"name": "monitoring", "days": 30, "read_only": True}, format="json")
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("itsm_")

    listed = api.get("/api/v1/tokens/").json()["results"]
    assert secret not in str(listed) and listed[0]["name"] == "monitoring"

    revoked = api.post(f"/api/v1/tokens/{listed[0]['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert not ApiToken.objects.get().is_active


def test_people_cannot_revoke_someone_elses_token(agent, api):
    from itsm import services

    other = UserFactory()
    token, _ = services.token_create(actor=other, user=other, name="theirs", days=5, read_only=False)
    api.force_authenticate(agent)

    assert api.post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).is_active


def test_only_administrators_create_tokens_that_never_expire(agent, api):
    api.force_authenticate(agent)

    response = api.post("/api/v1/tokens/", {"name": "forever", "days": None}, format="json")

    assert response.status_code == 400
    assert "days" in response.json()["error"]["fields"]
