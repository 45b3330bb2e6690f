"""Approval pages: the change page's approvals panel and its decide buttons, the refusal of a
self-approval shown on the page, "Awaiting my approval", and the approval rules settings."""

import pytest
from django.test import Client
from django.urls import reverse

from changes.choices import ChangeState
from changes.models import ApprovalRule
from changes.selectors_approvals import pending_authorisation
from itsm.choices import Role
from tests.changes.factories_approvals import approve, make_board, make_rule, under_authorisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, change_manager, admin_user):
    return {
        "manager": change_manager, "admin": admin_user,
        "requester": make_user(Role.AGENT, username="rita"),
        "ann": make_user(Role.CAB_MEMBER, username="ann"),
        "bob": make_user(Role.CAB_MEMBER, username="bob"),
    }


def browser(user):
    client = Client()
    client.force_login(user)
    return client


def page_of(user, change):
    return browser(user).get(reverse("change_detail", args=[change.pk])).content.decode()


@pytest.fixture
def change(people):
    board = make_board(people["admin"], name="Weekly CAB", members=[people["ann"], people["bob"]])
    make_rule(people["admin"], name="CAB", board=board, quorum="all")
    return under_authorisation(people["manager"], people["requester"])


def test_the_change_page_shows_the_approvals_and_the_approvers_buttons(people, change):
    approve(people["ann"], change, "CAB", "Tested on staging")

    page = page_of(people["bob"], change)
    assert 'id="approvals-panel"' in page
    assert "CAB" in page and "Weekly CAB" in page and "All: 2 of 2" in page
    assert "Tested on staging" in page and "as CAB member (Weekly CAB)" in page
    assert 'class="btn btn-success approval-approve"' in page
    # ann decided already, the requester may not: no buttons for them
    assert "approval-approve" not in page_of(people["ann"], change)
    requester_page = page_of(people["requester"], change)
    assert "approval-approve" not in requester_page
    assert "You requested or implement this change: someone else must approve it." in requester_page


def test_approving_from_the_change_page(people, change):
    group = pending_authorisation(change).groups.get()
    url = reverse("change_approval_decide", args=[group.pk])
    back = reverse("change_detail", args=[change.pk])
    for person in ("ann", "bob"):
        response = browser(people[person]).post(url, {"outcome": "approve", "comment": "ok", "next": back},
                                                 follow=True)
        assert f"You approved {change.number}." in response.content.decode()
    change.refresh_from_db()
    assert change.authorised_at is not None


def test_a_self_approval_is_refused_with_a_visible_error(people, change):
    group = pending_authorisation(change).groups.get()
    response = browser(people["requester"]).post(reverse("change_approval_decide", args=[group.pk]),
                                                 {"outcome": "approve", "next": reverse("change_detail",
                                                                                        args=[change.pk])},
                                                 follow=True)
    assert response.status_code == 200
    assert "You requested or implement this: someone else must approve it." in response.content.decode()
    assert not group.decisions.exists()


def test_a_rejection_from_the_decide_page_returns_the_change_to_assessment(people, change):
    group = pending_authorisation(change).groups.get()
    client = browser(people["ann"])
    page = client.get(reverse("change_approval_decide", args=[group.pk])).content.decode()
    assert change.number in page and 'id="decide-reject"' in page
    client.post(reverse("change_approval_decide", args=[group.pk]), {"outcome": "reject", "comment": "Too risky"})
    change.refresh_from_db()
    assert change.state == ChangeState.ASSESSMENT


def test_awaiting_my_approval_lists_what_i_may_still_decide(people, change, make_user, django_assert_max_num_queries):
    other = under_authorisation(people["manager"], people["requester"], short_description="Rotate the certificates")
    approve(people["ann"], other, "CAB")
    client = browser(people["ann"])
    url = reverse("change_approval_awaiting")
    client.get(url)  # warm the session and the menu's caches
    with django_assert_max_num_queries(14):
        page = client.get(url).content.decode()
    assert change.number in page and other.number not in page  # decided already
    for extra in range(3):
        under_authorisation(people["manager"], people["requester"], short_description=f"Extra {extra}")
    with django_assert_max_num_queries(14):
        page = client.get(url).content.decode()
    assert page.count('class="btn btn-sm me-1 mb-1 awaiting-decide"') == 4
    assert "Nothing awaits your decision." in browser(people["requester"]).get(url).content.decode()


def test_administrators_keep_the_approval_rules(people):
    client = browser(people["admin"])
    response = client.post(reverse("change_approval_rule_create"), {
        "name": "Change managers", "change_model": "", "min_risk": "high", "users": [people["manager"].pk],
        "quorum": "any", "order": 5, "is_active": "on"})
    assert response.status_code == 302
    rule = ApprovalRule.objects.get(name="Change managers")
    assert list(rule.users.all()) == [people["manager"]] and rule.min_risk == "high"
    # no approvers named: the service's refusal on the form
    response = client.post(reverse("change_approval_rule_update", args=[rule.pk]), {
        "name": "Change managers", "quorum": "any", "order": 5})
    assert response.status_code == 200 and "Name the approvers" in response.content.decode()
    listing = browser(people["manager"]).get(reverse("change_approval_rule_list")).content.decode()
    assert "Change managers" in listing and reverse("change_approval_rule_update", args=[rule.pk]) not in listing
    assert browser(people["manager"]).get(reverse("change_approval_rule_create")).status_code == 403
