"""Changes in the shell (changes.navigation): the menu group of change managers and CAB members
filled (no more "not available yet"), CHG numbers and text in the global search, and the start
page's panel. Each test registers into copies of the kernel's registries, so that it holds
whether or not ChangesConfig.ready() has registered them already."""

import pytest
from django.test import Client
from django.urls import reverse

from changes import navigation as change_navigation
from itsm import navigation, search
from itsm.choices import Role
from tests.changes.factories import make_change, move

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setattr(navigation, "_menu", list(navigation._menu))
    monkeypatch.setattr(navigation, "_home_panels", list(navigation._home_panels))
    monkeypatch.setattr(search, "_types", dict(search._types))
    change_navigation.register()


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_change_managers_get_the_changes_menu_instead_of_the_notice(registered, change_manager, cab_member):
    for user in (change_manager, cab_member):
        home = client_of(user).get(reverse("home"))

        assert home.context["pending_groups"] == []
        assert "not available yet" not in home.content.decode()
        group = next(section for section in home.context["main_menu"] if section.key == "changes")
        urls = [item.url for item in group.items]
        assert urls[0] == "/changes/"  # first in the group
        ours = [url for url in urls if url.startswith("/changes/?queue=")]
        assert ours == ["/changes/?queue=scheduled_week", "/changes/?queue=review"]


def test_requesters_get_no_changes_menu(registered, requester):
    keys = [section.key for section in client_of(requester).get(reverse("home")).context["main_menu"]]

    assert "changes" not in keys


def test_a_queue_item_is_the_current_one_on_its_queue(registered, change_manager):
    page = client_of(change_manager).get(reverse("change_list"), {"queue": "review"})

    assert 'href="/changes/?queue=review" aria-current="page"' in page.content.decode()


def test_a_change_number_opens_the_change_and_text_finds_it(registered, agent):
    change = make_change(agent, short_description="Rotate the relay certificates")
    client = client_of(agent)

    by_number = client.get(reverse("search"), {"q": change.number.lower()})
    by_text = client.get(reverse("search"), {"q": "relay cert"})

    assert by_number.status_code == 302 and by_number["Location"] == reverse("change_detail", args=[change.pk])
    assert f'href="{reverse("change_detail", args=[change.pk])}"' in by_text.content.decode()


def test_the_start_page_counts_what_waits_on_change_managers(registered, agent, change_manager):
    make_change(agent, change_model="emergency")
    move(change_manager, make_change(agent), "cancel", cancel_reason="Not needed")

    home = client_of(change_manager).get(reverse("home"))
    agent_home = client_of(agent).get(reverse("home"))

    html = home.content.decode()
    assert 'id="home-changes"' in html and 'id="home-changes"' not in agent_home.content.decode()
    panel = next(context for panel, context in home.context["panels"]
                 if panel.template_name == "changes/records/home_panel.html")
    assert panel == {"scheduled_week": 0, "review": 0, "emergency": 1, "authorisation": 0}


def test_registering_twice_adds_nothing(registered):
    before = (len(navigation._menu), len(navigation._home_panels))

    change_navigation.register()

    assert (len(navigation._menu), len(navigation._home_panels)) == before


def test_roles_of_the_changes_group_are_the_ones_whose_notice_ends():
    group = navigation.group(navigation.CHANGES)

    assert set(group.roles) == {Role.CHANGE_MANAGER, Role.CAB_MEMBER}
