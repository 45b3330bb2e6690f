"""The shell around every page: start page, error pages, assets and the rules the CSP imposes."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.template import loader
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from tests.factories import CustomerFactory, TeamFactory

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)
ASSET = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', re.IGNORECASE)


def test_the_start_page_shows_the_persons_roles_and_teams(client, agent):
    TeamFactory(name="Service desk", lead=agent, members=[agent])
    TeamFactory(name="Network", members=[agent])
    TeamFactory(name="Not mine")
    client.force_login(agent)

    response = client.get(reverse("home"))

    html = response.content.decode()
    assert [team.name for team in response.context["teams"]] == ["Network", "Service desk"]
    assert "Agent" in html and "Not mine" not in html
    assert [(item.url_name, item.query) for item in response.context["quick_links"]] == [
        ("incident_list", ""), ("incident_list", "queue=triage"), ("incident_reports", ""), ("sla_dashboard", ""),
        ("problem_list", ""), ("problem_known_error_list", ""), ("problem_proposal_list", ""), ("problem_reports", ""),
        ("change_list", ""), ("change_approval_awaiting", ""), ("change_list", "queue=scheduled_week"),
        ("change_list", "queue=review"), ("change_calendar", ""), ("change_catalogue", ""), ("change_cab_board_list", ""),
        ("change_reports", ""), ("ci_list", ""), ("service_catalogue", ""), ("team_list", ""), ("customer_list", "")]


def test_the_user_menu_has_the_account_pages_and_a_sign_out_form(client, agent):
    client.force_login(agent)

    html = client.get(reverse("home")).content.decode()

    for name in ("preferences", "tokens", "password_change"):
        assert f'href="{reverse(name)}"' in html
    assert re.search(rf'<form method="post" action="{reverse("logout")}">\s*<input type="hidden" '
                     r'name="csrfmiddlewaretoken"', html)


def test_htmx_requests_carry_the_csrf_token(client, agent):
    client.force_login(agent)

    html = client.get(reverse("home")).content.decode()

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert f"""hx-headers='{{"X-CSRFToken": "{token}"}}'""" in html


def pages_for(admin_user, client):
    team, customer = TeamFactory(members=[admin_user]), CustomerFactory()
    client.force_login(admin_user)
    return [reverse(name) for name in ("home", "team_list", "team_create", "customer_list", "customer_create",
                                       "preferences", "tokens", "password_change", "password_change_done")] + [
        reverse("team_detail", args=[team.pk]), reverse("team_update", args=[team.pk]),
        reverse("customer_detail", args=[customer.pk]), reverse("customer_update", args=[customer.pk]),
        "/no-such-page/",
    ]


def test_no_page_has_inline_code_that_the_csp_would_block(client, admin_user):
    for url in [reverse("login"), *pages_for(admin_user, client)]:
        html = client.get(url).content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_STYLE.search(html), url
        assert not INLINE_HANDLER.search(html), url


def test_every_asset_is_served_by_us_and_exists(client, admin_user):
    assets = set()
    for url in pages_for(admin_user, client):
        assets.update(ASSET.findall(client.get(url).content.decode()))

    assert assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset


def test_the_404_page_is_styled_and_says_what_happened(client, agent):
    client.force_login(agent)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "/static/vendor/tabler/tabler.min.css" in response.content.decode()


def test_the_403_page_is_styled_and_says_what_happened(client, requester):
    client.force_login(requester)

    response = client.get(reverse("team_list"))

    assert response.status_code == 403
    assert "Access denied" in response.content.decode()


def test_the_500_page_renders_without_request_context_or_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))
        html = loader.get_template("500.html").render()

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "/static/vendor/tabler/tabler.min.css" in html
