"""Lists count their rows up to a cap: past it they say "more than", and pages go on."""

import pytest
from django.urls import reverse

from itsm.pagination import CappedPaginator
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cap_of_five(monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 5)


@pytest.fixture
def seven_teams():
    for n in range(7):
        TeamFactory(name=f"Team {n:02d}")


def test_a_list_under_the_cap_shows_its_exact_total(client, agent, seven_teams):
    client.force_login(agent)

    html = client.get(reverse("team_list")).content.decode()

    assert "of 7 rows" in html


def test_past_the_cap_a_list_says_more_and_its_pages_go_on(client, agent, seven_teams, cap_of_five, monkeypatch):
    client.force_login(agent)
    monkeypatch.setattr("itsm.views.teams.TeamListView.paginate_by", 3, raising=False)

    first = client.get(reverse("team_list"), {"sort": "name"})
    last = client.get(reverse("team_list"), {"sort": "name", "page": 3})

    assert "of more than 5 rows" in first.content.decode()
    assert [t.name for t in first.context["object_list"]] == ["Team 00", "Team 01", "Team 02"]
    assert first.context["page_obj"].has_next()
    assert [t.name for t in last.context["object_list"]] == ["Team 06"]
    assert not last.context["page_obj"].has_next()
    assert client.get(reverse("team_list"), {"sort": "name", "page": 4}).status_code == 404


def test_the_api_says_when_its_count_stopped_at_the_cap(agent, token_client, seven_teams, cap_of_five):
    client = token_client(agent)

    first = client.get("/api/v1/teams/", {"page_size": 3, "ordering": "name"}).json()
    last = client.get("/api/v1/teams/", {"page_size": 3, "ordering": "name", "page": 3}).json()

    assert (first["count"], first["count_exact"]) == (5, False)
    assert first["next"] and len(first["results"]) == 3
    assert [t["name"] for t in last["results"]] == ["Team 06"] and last["next"] is None


def test_the_api_count_is_exact_under_the_cap(agent, token_client, seven_teams):
    body = token_client(agent).get("/api/v1/teams/").json()

    assert (body["count"], body["count_exact"]) == (7, True)
