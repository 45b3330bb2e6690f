"""One-click approval links: signed, expiring, only for the named person, never deciding on GET."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.test import Client, override_settings
from django.urls import reverse

from changes.choices import ChangeState
from changes.selectors_approvals import pending_authorisation
from changes.services.approval_links import approval_link, approval_link_read
from itsm.choices import Role
from tests.changes.factories_approvals import make_rule, under_authorisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(make_user, change_manager, admin_user):
    ann = make_user(Role.CAB_MEMBER, username="ann")
    bob = make_user(Role.CAB_MEMBER, username="bob")
    make_rule(admin_user, name="CAB", users=[ann, bob])
    change = under_authorisation(change_manager, make_user(Role.AGENT, username="rita"))
    return {"ann": ann, "bob": bob, "change": change, "group": pending_authorisation(change).groups.get()}


def browser(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def path_of(url):
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_get_asks_for_confirmation_and_decides_nothing(setting):
    url = path_of(approval_link(setting["group"], setting["ann"], "approve"))
    response = browser(setting["ann"]).get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Approve {setting['change'].number}?" in page and 'id="link-submit"' in page
    assert not setting["group"].decisions.exists()


def test_post_decides_as_the_named_person(setting):
    url = path_of(approval_link(setting["group"], setting["ann"], "reject"))
    response = browser(setting["ann"]).post(url, {"comment": "Not this week"})
    assert response.status_code == 302 and response["Location"] == reverse("change_detail",
                                                                            args=[setting["change"].pk])
    decision = setting["group"].decisions.get()
    assert (decision.approver, decision.outcome, decision.comment) == (setting["ann"], "reject", "Not this week")
    setting["change"].refresh_from_db()
    assert setting["change"].state == ChangeState.ASSESSMENT


def test_another_person_gets_a_clear_403(setting):
    url = path_of(approval_link(setting["group"], setting["ann"], "approve"))
    for method in ("get", "post"):
        response = getattr(browser(setting["bob"]), method)(url)
        assert response.status_code == 403
        assert "This approval link is for another person." in response.content.decode()
    assert not setting["group"].decisions.exists()


def test_signed_out_people_sign_in_first_and_come_back(setting):
    url = path_of(approval_link(setting["group"], setting["ann"], "approve"))
    response = browser().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert "approvals/link/%3Ft%3D" in response["Location"]


def test_a_tampered_link_is_refused(setting):
    url = path_of(approval_link(setting["group"], setting["ann"], "approve"))
    response = browser(setting["ann"]).get(url[:-3] + "abc")
    assert response.status_code == 400 and "This approval link is not valid" in response.content.decode()
    forged = signing.dumps({"g": setting["group"].pk, "u": setting["ann"].pk, "o": "approve"}, salt="other")
    response = browser(setting["ann"]).post(reverse("change_approval_link") + f"?t={forged}")
    assert response.status_code == 400
    assert not setting["group"].decisions.exists()


@override_settings(CHANGE_APPROVAL_LINK_HOURS=2)
def test_a_link_expires(setting, monkeypatch):
    url = path_of(approval_link(setting["group"], setting["ann"], "approve"))
    later = time.time() + 2 * 3600 + 5

    class Later:
        @staticmethod
        def time():
            return later

    monkeypatch.setattr(signing, "time", Later)  # django.core.signing reads the clock as time.time()
    for method in ("get", "post"):
        response = getattr(browser(setting["ann"]), method)(url)
        assert response.status_code == 410
        page = response.content.decode()
        assert "This approval link has expired." in page
        assert reverse("change_detail", args=[setting["change"].pk]) in page
    assert not setting["group"].decisions.exists()


def test_a_decided_link_says_why_it_no_longer_works(setting):
    url = path_of(approval_link(setting["group"], setting["ann"], "approve"))
    client = browser(setting["ann"])
    client.post(url)
    response = client.post(url)
    assert response.status_code == 409 and "You have decided as CAB already." in response.content.decode()
    assert setting["group"].decisions.count() == 1


def test_the_link_names_group_person_and_outcome(setting):
    [token] = parse_qs(urlsplit(approval_link(setting["group"], setting["bob"], "reject")).query)["t"]
    link = approval_link_read(token)
    assert (link.group_id, link.user_id, link.outcome) == (setting["group"].pk, setting["bob"].pk, "reject")
