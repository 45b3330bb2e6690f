import pytest

pytestmark = pytest.mark.django_db


def test_agent_creates_and_resolves_a_ticket_through_the_api(agent, token_client):
    client = token_client(agent)
    created = client.post("/api/v1/test/tickets/", {"title": "Printer on fire"}, format="json")
    assert created.status_code == 201, created.json()
    ticket = created.json()
    assert ticket["number"].startswith("TKT")
    refused = client.post(f"/api/v1/test/tickets/{ticket['id']}/transition/", {"transition": "close"}, format="json")
    assert refused.status_code == 409
    resolved = client.post(f"/api/v1/test/tickets/{ticket['id']}/transition/",
                           {"transition": "resolve", "data": {"resolution_code": "fixed"}}, format="json")
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["state"] == "resolved"
