"""Who may open and post to the kernel's pages (the full URL x role table is test_permission_matrix)."""

import pytest
from django.urls import reverse

from itsm.models import Team
from tests.assertions import assert_nothing_written
from tests.factories import CustomerFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["home", "team_list", "customer_list", "preferences", "tokens", "password_change"])
def test_anonymous_people_are_sent_to_sign_in_and_back(client, name):
    url = reverse(name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("name", ["home", "preferences", "tokens", "password_change"])
def test_requesters_use_their_own_pages(client, requester, name):
    client.force_login(requester)

    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", ["team_list", "customer_list", "team_create", "customer_create"])
def test_requesters_may_not_see_teams_or_customers(client, requester, name):
    client.force_login(requester)

    response = client.get(reverse(name))

    assert response.status_code == 403
    assert "Access denied" in response.content.decode()


def test_agents_read_teams_but_may_not_create_them(client, agent):
    client.force_login(agent)

    assert client.get(reverse("team_list")).status_code == 200
    assert client.get(reverse("team_create")).status_code == 403
    with assert_nothing_written():
        assert client.post(reverse("team_create"), {"name": "Mine"}).status_code == 403


def test_auditors_read_everything_and_see_no_edit_buttons(client, auditor):
    team, customer = TeamFactory(), CustomerFactory()
    client.force_login(auditor)

    pages = [reverse("team_list"), reverse("team_detail", args=[team.pk]),
             reverse("customer_list"), reverse("customer_detail", args=[customer.pk])]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200
        assert not response.context["can_write"]
        html = response.content.decode()
        assert reverse("team_create") not in html and reverse("team_update", args=[team.pk]) not in html
        assert reverse("customer_update", args=[customer.pk]) not in html


@pytest.mark.parametrize("auditor_is_also_administrator", [False, True])
def test_auditors_posts_are_refused_and_write_nothing(client, make_user, auditor_is_also_administrator):
    roles = ["auditor", "administrator"] if auditor_is_also_administrator else ["auditor"]
    client.force_login(make_user(*roles))
    customer = CustomerFactory(name="Before")

    with assert_nothing_written():
        created = client.post(reverse("customer_create"), {"code": "new", "name": "New", "is_active": "on"})
        edited = client.post(reverse("customer_update", args=[customer.pk]),
                             {"code": customer.code, "name": "After", "version": 1})
        token = client.post(reverse("tokens"), {"name": "evidence", "days": 1})

    assert (created.status_code, edited.status_code, token.status_code) == (403, 403, 403)


def test_auditors_keep_their_own_preferences(client, auditor):
    client.force_login(auditor)

    response = client.post(reverse("preferences"), {"language": "zh-hans", "time_zone": "Asia/Shanghai"})

    assert response.status_code == 302
    auditor.refresh_from_db()
    assert auditor.language == "zh-hans"


def test_administrators_create_and_edit_teams(client, admin_user, agent):
    client.force_login(admin_user)

    created = client.post(reverse("team_create"), {"name": "Network", "lead": agent.pk, "members": [admin_user.pk],
                                                   "is_active": "on"})
    team = Team.objects.get()
    edited = client.post(reverse("team_update", args=[team.pk]), {
        "name": "Network operations", "lead": agent.pk, "members": [agent.pk], "is_active": "on",
        "version": team.version,
    })

    assert created["Location"] == reverse("team_detail", args=[team.pk])
    assert edited["Location"] == reverse("team_detail", args=[team.pk])
    team.refresh_from_db()
    assert team.name == "Network operations"
    assert list(team.members.all()) == [agent]
    assert team.version == 2


@pytest.mark.parametrize("url", ["/accounts/language/?language=zh-hans", "/accounts/logout/"])
def test_no_get_changes_anything(client, agent, url):
    client.force_login(agent)

    response = client.get(url)

    assert response.status_code == 405
    agent.refresh_from_db()
    assert agent.language == "en"
    assert client.get(reverse("home")).status_code == 200


def test_a_get_to_a_form_page_with_data_in_the_query_creates_nothing(client, admin_user):
    client.force_login(admin_user)

    with assert_nothing_written():
        client.get(reverse("customer_create"), {"code": "sneaky", "name": "Sneaky"})


def test_the_menu_shows_each_role_only_what_it_may_open(client, requester, agent, admin_user):
    def menu(user):
        client.force_login(user)
        sections = client.get(reverse("home")).context["main_menu"]
        return [item.url_name + (f"?{item.query}" if item.query else "") for section in sections
                for item in section.items]

    assert menu(requester) == ["home", "portal_incident_list"]
    problems = ["problem_list", "problem_known_error_list", "problem_proposal_list", "problem_reports"]
    changes = ["change_list", "change_approval_awaiting", "change_list?queue=scheduled_week", "change_list?queue=review",
               "change_calendar", "change_catalogue", "change_cab_board_list", "change_reports"]
    assert menu(agent) == ["home", "incident_list", "incident_list?queue=triage", "incident_reports", *problems,
                           *changes, "ci_list", "service_catalogue", "sla_dashboard", "team_list", "customer_list"]
    assert menu(admin_user) == ["home", "incident_list", "incident_list?queue=triage", "incident_reports",
                                "problem_list", "problem_known_error_list", "problem_proposal_list", "problem_manager", "problem_reports",
                                *changes[:-1], "change_unauthorised_list", "change_reports",
                                "ci_list", "service_catalogue", "sla_dashboard", "audit_trail", "audit_verify",
                                "audit_evidence_list", "audit_sample_list", "audit_auditor_list", "team_list", "customer_list", "incident_category_list", "sla_calendar_list",
                                "change_category_list", "change_window_list", "change_approval_rule_list",
                                "change_exempt_source_list", "admin:index"]


def test_a_role_taken_away_counts_from_the_next_page(client, agent):
    from django.contrib.auth.models import Group

    from itsm.choices import Role

    client.force_login(agent)
    assert client.get(reverse("customer_list")).status_code == 200

    agent.groups.remove(Group.objects.get(name=Role.AGENT))

    assert client.get(reverse("customer_list")).status_code == 403


def test_a_signed_in_user_without_roles_has_none(client, make_user):
    user = make_user(username="nobody")  # in no group at all: the joined role names are NULL
    client.force_login(user)

    assert client.get(reverse("customer_list")).status_code == 403
