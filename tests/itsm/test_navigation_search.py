"""The shell's registries: menu groups (itsm.navigation), "not available yet" for a role whose
process is not installed, and the header's global search (itsm.search)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import Incident
from itsm import navigation, search
from itsm.choices import Role
from tests.config_items.factories import make_ci
from tests.incidents.factories import make_incident
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import Ticket

pytestmark = pytest.mark.django_db


def bar(client, user):
    """The menu bar as `user` gets it: [(group key or item url name, [item url names])]."""
    client.force_login(user)
    return [(section.key, [item.url_name + (f"?{item.query}" if item.query else "") for item in section.items])
            for section in client.get(reverse("home")).context["main_menu"]]


# --- menu groups --------------------------------------------------------------------------------

def test_each_role_gets_the_groups_it_may_open_in_order(client, requester, agent, admin_user):
    assert bar(client, requester) == [("home", ["home"]), ("service_desk", ["portal_incident_list"])]
    assert bar(client, agent) == [
        ("home", ["home"]),
        ("service_desk", ["incident_list", "incident_list?queue=triage", "incident_reports", "problem_list",
                          "problem_known_error_list", "problem_proposal_list", "problem_reports"]),
        ("changes", ["change_list", "change_approval_awaiting", "change_list?queue=scheduled_week",
                     "change_list?queue=review", "change_calendar", "change_catalogue", "change_cab_board_list",
                     "change_reports"]),
        ("configuration", ["ci_list", "service_catalogue"]),
        ("service_levels", ["sla_dashboard"]),
        ("settings", ["team_list", "customer_list"]),
    ]
    assert bar(client, admin_user)[-1] == (
        "settings", ["team_list", "customer_list", "incident_category_list", "sla_calendar_list", "change_category_list",
                     "change_window_list", "change_approval_rule_list", "change_exempt_source_list", "admin:index"])


def test_a_group_with_no_item_for_the_person_is_not_shown(client, requester):
    keys = [key for key, _ in bar(client, requester)]

    assert "configuration" not in keys and "settings" not in keys and "changes" not in keys


def test_the_bar_renders_groups_as_dropdowns_and_marks_the_active_group(client, agent):
    client.force_login(agent)

    html = client.get(reverse("ci_list")).content.decode()

    assert 'data-menu-group="configuration"' in html
    configuration = html.split('data-menu-group="configuration"')[0].rsplit("<li", 1)[1]
    assert "active" in configuration
    settings_group = html.split('data-menu-group="settings"')[0].rsplit("<li", 1)[1]
    assert "active" not in settings_group
    assert f'href="{reverse("ci_list")}" aria-current="page"' in html
    # one item for an agent: a plain link, not a dropdown of one
    assert 'data-menu-group="service_levels"' not in html and "SLA dashboard" in html


def test_an_item_must_name_a_known_group():
    with pytest.raises(LookupError):
        navigation.register(navigation.MenuItem("Nowhere", "home", group="no-such-group"))


# --- processes not built yet ---------------------------------------------------------------------

def without_changes(monkeypatch):
    """The menu as it was before the changes app filled its group (the notice is for a process
    whose app is not installed yet)."""
    monkeypatch.setattr(navigation, "_menu", [i for i in navigation._menu if i.group != navigation.CHANGES])


def test_a_change_manager_is_told_that_change_management_is_not_available_yet(client, make_user, monkeypatch):
    without_changes(monkeypatch)
    manager = make_user(Role.CHANGE_MANAGER, username="cm")
    client.force_login(manager)

    home = client.get(reverse("home"))
    page = client.get(reverse("process_pending"))

    assert "Change management is not available yet" in home.content.decode()
    assert [s.key for s in home.context["main_menu"] if s.pending] == ["changes"]
    assert page.status_code == 200
    text = page.content.decode()
    assert "Change management is not available yet" in text and "change advisory board" in text
    assert reverse("incident_list") in text  # what they can do now: the staff pages they may open


def test_people_whose_process_is_installed_see_no_such_notice(client, agent, admin_user):
    for user in (agent, admin_user):
        client.force_login(user)
        home = client.get(reverse("home"))

        assert home.context["pending_groups"] == []
        assert "not available yet" not in home.content.decode()
        page = client.get(reverse("process_pending")).content.decode()
        assert "Everything your roles are for is available" in page


def test_a_process_stops_being_pending_once_an_app_fills_its_group(make_user, monkeypatch):
    without_changes(monkeypatch)
    manager = make_user(Role.CHANGE_MANAGER, username="cm")
    assert [g.key for g in navigation.pending_groups_for(manager)] == ["changes"]

    monkeypatch.setattr(navigation, "_menu", [*navigation._menu, navigation.MenuItem(
        "Changes", "home", roles=(Role.CHANGE_MANAGER,), group=navigation.CHANGES)])

    assert navigation.pending_groups_for(manager) == []


# --- global search -------------------------------------------------------------------------------

def test_a_record_number_opens_the_record(client, agent):
    incident = make_incident(agent, short_description="VPN drops")
    ci = make_ci(name="db-01")
    client.force_login(agent)

    by_number = client.get(reverse("search"), {"q": incident.number})
    lower_case = client.get(reverse("search"), {"q": f" {incident.number.lower()} "})
    a_ci = client.get(reverse("search"), {"q": ci.number})

    assert by_number.status_code == 302 and by_number["Location"] == reverse("incident_detail", args=[incident.pk])
    assert lower_case["Location"] == by_number["Location"]
    assert a_ci["Location"] == reverse("ci_detail", args=[ci.pk])


def test_a_number_nobody_has_says_so(client, agent):
    client.force_login(agent)

    response = client.get(reverse("search"), {"q": "INC0999999"})

    assert response.status_code == 200
    assert "No record numbered INC0999999 that you may see (Incidents)." in response.content.decode()


def test_text_finds_hits_of_every_type_grouped_with_more_links(client, agent):
    for n in range(7):
        make_incident(agent, short_description=f"Payroll export fails ({n})")
    make_incident(agent, short_description="Printer jam")
    make_ci(name="payroll-db")
    client.force_login(agent)

    response = client.get(reverse("search"), {"q": "payroll"})

    groups = {group.type.key: group for group in response.context["results"]}
    assert list(groups) == ["incidents", "config_items"]
    assert [hit.title for hit in groups["incidents"].hits] == [f"Payroll export fails ({n})" for n in (6, 5, 4, 3, 2)]
    assert groups["incidents"].more and groups["incidents"].more_url == reverse("incident_list") + "?q=payroll&sort=-opened"
    assert [hit.title for hit in groups["config_items"].hits] == ["payroll-db"]
    assert not groups["config_items"].more
    html = response.content.decode()
    assert "More Incidents" in html and "Printer jam" not in html


def test_search_costs_one_query_per_type(client, agent):
    for n in range(3):
        make_incident(agent, short_description=f"Mail bounces {n}")
        make_ci(name=f"mail-{n}")
    client.force_login(agent)
    client.get(reverse("search"), {"q": "mail"})

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("search"), {"q": "mail"})
    for n in range(3, 9):
        make_incident(agent, short_description=f"Mail bounces {n}")
        make_ci(name=f"mail-{n}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("search"), {"q": "mail"})

    assert len(few) == len(many)


def test_text_shorter_than_three_characters_is_not_searched(client, agent):
    make_incident(agent, short_description="ab")
    client.force_login(agent)

    response = client.get(reverse("search"), {"q": "ab"})

    assert response.context["results"] == []
    assert "Type at least 3 characters" in response.content.decode()


def test_the_list_search_finds_what_the_global_search_found(client, agent):
    wanted = make_incident(agent, short_description="Payroll export fails")
    imported = make_incident(agent, short_description="Old one")
    # The historical import sets external IDs; its row-level path is beside the point here.
    Incident.objects.filter(pk=imported.pk).update(external_id="SNOW-42")
    make_incident(agent, short_description="Printer jam")
    client.force_login(agent)

    def numbers(q):
        return [i.number for i in client.get(reverse("incident_list"), {"q": q}).context["page_obj"]]

    assert numbers("PAYROLL") == [wanted.number]
    assert numbers(wanted.number.lower()) == [wanted.number]
    assert numbers("SNOW-42") == [imported.number]


@pytest.fixture
def own_tickets():
    """A test record type whose selector lets each person read only the tickets they created, and
    one only administrators may search."""
    def mine(user):
        return Ticket.objects.filter(created_by=user)

    def hit(ticket):
        return search.SearchHit(number=ticket.number, title=ticket.title, url=f"/tickets/{ticket.pk}/")

    saved = dict(search._types)
    search.register(search.SearchType(key="tickets", label="Tickets", prefix="TKT", queryset=mine, hit=hit,
                                      fields=("title",), order=50))
    search.register(search.SearchType(key="secrets", label="Secrets", prefix="SEC", queryset=mine, hit=hit,
                                      fields=("title",), order=60, roles=(Role.ADMINISTRATOR,)))
    yield
    search._types.clear()
    search._types.update(saved)


def test_an_agent_finds_only_what_the_types_selector_lets_them_read(client, make_user, own_tickets):
    alice, bob = make_user(Role.AGENT, username="alice"), make_user(Role.AGENT, username="bob")
    ticket = make_ticket(alice, title="Badge reader broken")
    client.force_login(bob)

    by_number = client.get(reverse("search"), {"q": ticket.number})
    by_text = client.get(reverse("search"), {"q": "badge"})

    assert by_number.status_code == 200  # no redirect: as if it did not exist
    assert "No record numbered" in by_number.content.decode()
    assert by_text.context["results"] == []
    assert [t.key for t in search.types_for(bob)] == ["incidents", "problems", "config_items", "changes", "tickets"]
    client.force_login(alice)
    assert client.get(reverse("search"), {"q": ticket.number})["Location"] == f"/tickets/{ticket.pk}/"


def test_two_types_cannot_share_a_number_prefix(own_tickets):
    with pytest.raises(ValueError, match="TKT"):
        search.register(search.SearchType(key="other", label="Other", prefix="TKT", queryset=None, hit=None))


def test_requesters_get_no_staff_search(client, requester, agent):
    incident = make_incident(agent, caller=requester, short_description="My mail")
    client.force_login(requester)

    home = client.get(reverse("home")).content.decode()

    assert client.get(reverse("search"), {"q": incident.number}).status_code == 403
    assert client.get(reverse("search_suggest"), {"q": "mail"}).status_code == 403
    assert 'id="global-search"' not in home


def test_suggestions_offer_the_numbered_record_and_a_few_hits(client, agent):
    incident = make_incident(agent, short_description="VPN drops")
    for n in range(5):
        make_incident(agent, short_description=f"VPN slow {n}")
    client.force_login(agent)

    by_number = client.get(reverse("search_suggest"), {"q": incident.number}, headers={"HX-Request": "true"})
    by_text = client.get(reverse("search_suggest"), {"q": "vpn"}, headers={"HX-Request": "true"})
    nothing = client.get(reverse("search_suggest"), {"q": ""}, headers={"HX-Request": "true"})

    assert by_number.status_code == 200
    assert reverse("incident_detail", args=[incident.pk]) in by_number.content.decode()
    assert len(by_text.context["results"][0].hits) == 3
    assert "All results for" in by_text.content.decode()
    assert nothing.content.decode().strip() == ""


def test_the_header_has_the_search_box_for_staff(client, agent):
    client.force_login(agent)

    html = client.get(reverse("home")).content.decode()

    assert 'id="global-search"' in html and f'action="{reverse("search")}"' in html
    assert "{#" not in html and "#}" not in html  # no template comment leaks into the page


# --- favicon -------------------------------------------------------------------------------------

def test_favicon_ico_leads_to_the_svg_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302 and response["Location"].endswith("img/favicon.svg")
    assert "max-age=86400" in response["Cache-Control"]


# --- the API -------------------------------------------------------------------------------------

def test_the_api_answers_a_number_with_the_record_and_text_with_hits_by_type(api, agent):
    incident = make_incident(agent, short_description="Payroll export fails")
    make_ci(name="payroll-db")
    api.force_authenticate(agent)

    by_number = api.get("/api/v1/search/", {"q": incident.number.lower()})
    by_text = api.get("/api/v1/search/", {"q": "payroll", "limit": 1})

    assert by_number.status_code == 200
    assert by_number.json()["record"] == {
        "number": incident.number, "title": "Payroll export fails",
        "url": reverse("incident_detail", args=[incident.pk]), "detail": "", "badge": "New"}
    body = by_text.json()
    assert body["record"] is None
    assert [(g["type"], [h["title"] for h in g["hits"]], g["more"]) for g in body["results"]] == [
        ("incidents", ["Payroll export fails"], False), ("config_items", ["payroll-db"], False)]


def test_the_api_refuses_requesters_and_a_missing_query(api, agent, requester):
    api.force_authenticate(requester)
    assert api.get("/api/v1/search/", {"q": "mail"}).status_code == 403

    api.force_authenticate(agent)
    missing = api.get("/api/v1/search/")
    assert missing.status_code == 400 and "q" in missing.json()["error"]["fields"]
