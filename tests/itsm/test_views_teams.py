"""Team pages: list (filter, sort, pages, export, query count), detail, create and edit."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from itsm import services
from itsm.models import Team
from tests.assertions import assert_nothing_written
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("team_list")


def names(response):
    return [team.name for team in response.context["object_list"]]


def csv_rows(response):
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.fixture
def staff_client(client, agent):
    client.force_login(agent)
    return client


def make_teams(count, start=0):
    people = UserFactory.create_batch(3)
    for n in range(start, start + count):
        TeamFactory(name=f"Team {n:02d}", lead=people[n % 3], members=people)


def count_queries(client, query) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, query)
        if response.streaming:
            b"".join(response.streaming_content)
    return len(queries)


def test_the_list_shows_teams_with_lead_and_member_count(staff_client, agent):
    lead = UserFactory(first_name="Mei", last_name="Lin")
    TeamFactory(name="Network", lead=lead, members=[lead, agent])

    response = staff_client.get(LIST)

    html = response.content.decode()
    assert names(response) == ["Network"]
    assert "Mei Lin" in html
    assert response.context["object_list"][0].member_count == 2


def test_the_list_filters_by_search_text_and_lead(staff_client):
    lead = UserFactory()
    TeamFactory(name="Network", lead=lead)
    TeamFactory(name="Network security")
    TeamFactory(name="Service desk", lead=lead)

    assert names(staff_client.get(LIST, {"q": "netw"})) == ["Network", "Network security"]
    assert names(staff_client.get(LIST, {"lead": lead.pk})) == ["Network", "Service desk"]
    assert names(staff_client.get(LIST, {"q": "netw", "lead": lead.pk})) == ["Network"]


def test_an_invalid_filter_shows_its_error_and_no_rows(staff_client):
    TeamFactory()

    response = staff_client.get(LIST, {"lead": "999999"})

    assert names(response) == []
    assert "lead" in response.context["filter_errors"]


def test_the_list_sorts_both_ways_and_ignores_unknown_sort_keys(staff_client):
    for name in ("Bravo", "Alpha", "Charlie"):
        TeamFactory(name=name)

    assert names(staff_client.get(LIST, {"sort": "-name"})) == ["Charlie", "Bravo", "Alpha"]
    assert names(staff_client.get(LIST, {"sort": "lead__password"})) == ["Alpha", "Bravo", "Charlie"]


def test_pages_keep_the_filter_and_sort(staff_client):
    make_teams(30)

    first = staff_client.get(LIST, {"sort": "-name", "q": "Team"})
    second = staff_client.get(LIST, {"sort": "-name", "q": "Team", "page": 2})

    assert len(names(first)) == 25 and names(second) == ["Team 04", "Team 03", "Team 02", "Team 01", "Team 00"]
    assert "?sort=-name&amp;q=Team&amp;page=2" in first.content.decode()


@pytest.mark.parametrize("query", [{}, {"export": "csv"}])
def test_the_list_and_its_export_use_the_same_number_of_queries_for_1_or_30_teams(staff_client, query):
    make_teams(1)
    one = count_queries(staff_client, query)
    make_teams(29, start=1)
    thirty = count_queries(staff_client, query)

    assert one == thirty


def test_htmx_gets_only_the_results(staff_client):
    TeamFactory(name="Network")

    response = staff_client.get(LIST, {"q": "net"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="list-results">')
    assert "Network" in html and "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_export_has_every_row_of_the_current_filter_in_order(staff_client):
    lead = UserFactory(username="mei", first_name="Mei", last_name="Lin")
    TeamFactory(name="Network", lead=lead, members=[lead])
    TeamFactory(name="Network security")
    TeamFactory(name="Service desk")

    response = staff_client.get(LIST, {"q": "netw", "sort": "-name", "export": "csv"})

    rows = csv_rows(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="teams-')
    assert rows[0] == ["Name", "Email", "Lead", "Lead username", "Members", "Active", "Updated"]
    assert [row[:6] for row in rows[1:]] == [
        ["Network security", "", "", "", "", "Yes"],
        ["Network", "", "Mei Lin", "mei", "mei", "Yes"],
    ]


def test_the_detail_page_shows_lead_and_members(staff_client):
    lead, member = UserFactory(first_name="Mei", last_name="Lin"), UserFactory(first_name="Bo", last_name="Wang")
    team = TeamFactory(name="Network", lead=lead, members=[lead, member])

    html = staff_client.get(reverse("team_detail", args=[team.pk])).content.decode()

    assert "Mei Lin" in html and "Bo Wang" in html


def test_a_missing_team_is_404(staff_client):
    assert staff_client.get(reverse("team_detail", args=[999])).status_code == 404


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_creating_a_team_makes_its_lead_a_member(admin_client, agent):
    response = admin_client.post(reverse("team_create"), {"name": "Network", "lead": agent.pk, "is_active": "on"})

    team = Team.objects.get()
    assert response["Location"] == reverse("team_detail", args=[team.pk])
    assert list(team.members.all()) == [agent]
    assert "Team “Network” created." in admin_client.get(response["Location"]).content.decode()


def test_a_duplicate_name_is_a_field_error_and_the_input_is_kept(admin_client, agent):
    TeamFactory(name="Network")

    with assert_nothing_written():
        response = admin_client.post(reverse("team_create"), {"name": "Network", "email": "typed@example.com",
                                                              "description": "what I typed"})

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    html = response.content.decode()
    assert 'value="typed@example.com"' in html and "what I typed" in html


def test_an_edit_based_on_an_old_version_is_refused_with_a_reload_message(admin_client, admin_user):
    team = TeamFactory(name="Network")
    form_version = team.version
    services.team_update(actor=admin_user, team=team, data={"name": "Network operations"})

    response = admin_client.post(reverse("team_update", args=[team.pk]), {
        "name": "My network", "description": "my text", "version": form_version,
    })

    assert response.status_code == 200
    assert "changed by someone else" in " ".join(response.context["form"].non_field_errors())
    html = response.content.decode()
    assert 'value="My network"' in html and "my text" in html
    team.refresh_from_db()
    assert (team.name, team.description, team.version) == ("Network operations", "", 2)


def test_the_team_form_holds_only_the_chosen_people_and_searches_the_others(admin_client, agent):
    lead, member, stranger = UserFactory(), UserFactory(), UserFactory()
    team = TeamFactory(name="Network", lead=lead, members=[lead, member])

    html = admin_client.get(reverse("team_update", args=[team.pk])).content.decode()

    for name, chosen in (("lead", {lead}), ("members", {lead, member})):
        select = html[html.index(f'<select name="{name}"'):]
        select = select[:select.index("</select>")]
        assert {int(pk) for pk in re.findall(r'<option value="(\d+)" selected', select)} == {p.pk for p in chosen}
        assert f'value="{stranger.pk}"' not in select and f'value="{agent.pk}"' not in select
        assert f'data-search-url="{reverse("people_search")}"' in select


def test_the_people_search_answers_at_most_20_active_people_matching_every_word(staff_client):
    fang = UserFactory(username="wfang", first_name="Fang", last_name="Wang", email="fang.wang@example.com")
    UserFactory(username="fwang2", first_name="Fang", last_name="Wang", is_active=False)
    UserFactory.create_batch(25, first_name="Many")

    def search(q):
        return staff_client.get(reverse("people_search"), {"q": q}).json()["results"]

    assert search("wang fang") == [{"value": fang.pk, "text": "Fang Wang (wfang)"}] == search("fang.wang@")
    assert len(search("many")) == 20  # a page of matches: Tom Select asks again as one types on


def test_the_people_search_refuses_requesters_and_asks_anonymous_callers_to_sign_in(client, requester):
    anonymous = client.get(reverse("people_search"), {"q": "a"})
    client.force_login(requester)
    refused = client.get(reverse("people_search"), {"q": "a"})

    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert refused.status_code == 403


def test_the_edit_form_carries_the_version_it_was_read_at(admin_client):
    team = TeamFactory()

    response = admin_client.get(reverse("team_update", args=[team.pk]))

    assert f'name="version" value="{team.version}"' in response.content.decode()


def test_an_edit_form_without_its_version_is_refused(admin_client):
    team = TeamFactory(name="Network")

    response = admin_client.post(reverse("team_update", args=[team.pk]), {"name": "Renamed"})

    assert "version" in response.context["form"].errors
    team.refresh_from_db()
    assert team.name == "Network"
