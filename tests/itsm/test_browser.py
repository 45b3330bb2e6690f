"""The kernel's pages in real headless Chromium: the flows people go through every day."""

import re

import pytest
from playwright.sync_api import expect

from itsm.models import ApiToken, Team
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_agent_switches_to_chinese_creates_and_revokes_a_token_and_signs_out(page, sign_in, agent):
    sign_in(page, agent)

    page.get_by_test_id("language-menu").click()
    page.get_by_role("button", name="简体中文").click()
    menu = page.get_by_role("navigation", name="主菜单")
    expect(menu.locator(".nav-link-title")).to_have_text(["首页", "服务台", "变更与发布", "配置", "SLA 仪表板", "设置"])
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    page.get_by_test_id("user-menu").click()
    page.get_by_role("banner").get_by_role("link", name="API 令牌").click()
    page.get_by_label("名称").fill("monitoring")
    page.get_by_role("button", name="创建令牌").click()
    secret = page.locator("#new-token-secret").input_value()
    assert re.fullmatch(r"itsm_[\w-]{40,}", secret)
    assert ApiToken.objects.get().key_digest != secret

    page.goto("/accounts/tokens/")  # the list again: the secret is gone for good
    assert secret not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="撤销 monitoring").click()
    expect(page.get_by_role("status")).to_contain_text("令牌“monitoring”已撤销。")
    assert ApiToken.objects.get().revoked_at is not None

    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/accounts/tokens/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/accounts/tokens/$"))


def choose(page, field_id, text):
    """Pick an option in a Tom Select box by typing, as with the keyboard."""
    page.locator(f"#{field_id}-ts-control").fill(text)
    page.locator(f"#{field_id}-ts-dropdown .option", has_text=text).first.click()


def test_an_administrator_creates_a_team_with_lead_and_members_and_edits_it(page, sign_in, admin_user):
    UserFactory(username="mei", first_name="Mei", last_name="Lin")
    UserFactory(username="bo", first_name="Bo", last_name="Wang")
    sign_in(page, admin_user)

    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("button", name="Settings").click()
    menu.get_by_role("link", name="Teams").click()
    page.get_by_role("link", name="New team").click()
    page.get_by_label("Name").fill("Network")
    choose(page, "id_lead", "Mei Lin")
    choose(page, "id_members", "Bo Wang")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Create team").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Network")
    expect(page.get_by_role("status")).to_contain_text("Team “Network” created.")
    team = Team.objects.get()
    assert (team.lead.username, sorted(team.members.values_list("username", flat=True))) == ("mei", ["bo", "mei"])

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Name").fill("Network operations")
    page.locator(".ts-wrapper.multi .item", has_text="Bo Wang").locator(".remove").click()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Network operations")
    team.refresh_from_db()
    assert (team.name, team.version, list(team.members.values_list("username", flat=True))) == (
        "Network operations", 2, ["mei"])


def test_the_team_list_filters_as_you_type(page, sign_in, agent):
    TeamFactory(name="Network")
    TeamFactory(name="Service desk")
    sign_in(page, agent)
    page.goto("/teams/")

    page.get_by_role("searchbox", name="Search", exact=True).fill("netw")

    expect(page.locator("#list-results tbody tr")).to_have_count(1)
    expect(page.locator("#list-results tbody")).to_contain_text("Network")
    expect(page).to_have_url(re.compile(r"q=netw"))


def test_an_auditor_reads_without_edit_buttons_and_a_forged_post_is_refused(page, sign_in, auditor):
    team, customer = TeamFactory(name="Network"), CustomerFactory(name="Acme")
    sign_in(page, auditor)

    for path, heading in [("/teams/", "Teams"), (f"/teams/{team.pk}/", "Network"),
                          ("/customers/", "Customers"), (f"/customers/{customer.pk}/", "Acme")]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        expect(page.get_by_role("link", name=re.compile(r"^(New team|New customer|Edit)$"))).to_have_count(0)

    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    forged = page.request.post("/teams/new/", form={"csrfmiddlewaretoken": token, "name": "Forged"},
                               headers={"Referer": page.url})
    edit = page.request.post(f"/teams/{team.pk}/edit/", form={
        "csrfmiddlewaretoken": token, "name": "Renamed", "version": "1"}, headers={"Referer": page.url})

    assert (forged.status, edit.status) == (403, 403)
    assert list(Team.objects.values_list("name", flat=True)) == ["Network"]
