"""The approvals API: approval rules, approver groups, the caller's queue and their decision,
with the refusals the kernel makes (segregation of duties, non-members, twice) and read-only callers."""

import pytest
from django.urls import reverse

from changes.choices import ChangeState
from changes.selectors_approvals import pending_authorisation
from itsm.choices import Role
from tests.changes.factories_approvals import make_rule, under_authorisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, change_manager, admin_user):
    return {
        "manager": change_manager, "admin": admin_user,
        "requester": make_user(Role.AGENT, username="rita"),
        "ann": make_user(Role.CAB_MEMBER, username="ann"),
        "bob": make_user(Role.CAB_MEMBER, username="bob"),
        "cid": make_user(Role.CAB_MEMBER, username="cid"),
    }


@pytest.fixture
def change(people):
    make_rule(people["admin"], name="CAB", users=[people["ann"], people["bob"], people["cid"]], quorum="count",
              quorum_value=2)
    return under_authorisation(people["manager"], people["requester"])


def decide_url(change):
    return reverse("api:changes:approval-decide", args=[pending_authorisation(change).groups.get().pk])


def test_two_of_three_approve_through_the_api(api, people, change):
    api.force_authenticate(people["ann"])
    queue = api.get(reverse("api:changes:approval-awaiting")).json()
    assert [row["change"]["number"] for row in queue] == [change.number]
    assert queue[0]["groups"][0]["name"] == "CAB" and queue[0]["groups"][0]["required"] == 2

    answer = api.post(decide_url(change), {"outcome": "approve", "comment": "Fine"}, format="json")
    assert answer.status_code == 200
    body = answer.json()
    assert body["state"] == "pending" and body["decisions"][0]["approver"]["username"] == "ann"
    assert body["decisions"][0]["role"] == "named approver" and body["decisions"][0]["comment"] == "Fine"
    assert api.get(reverse("api:changes:approval-awaiting")).json() == []

    api.force_authenticate(people["bob"])
    assert api.post(decide_url(change), {"outcome": "approve"}, format="json").json()["approval_state"] == "approved"
    change.refresh_from_db()
    assert change.authorised_at is not None

    listed = api.get(reverse("api:changes:approval-list"), {"change": change.pk}).json()["results"]
    assert [group["state"] for group in listed] == ["approved"]


def test_the_requester_may_not_approve_through_the_api(api, people, change):
    api.force_authenticate(people["requester"])
    answer = api.post(decide_url(change), {"outcome": "approve"}, format="json")
    assert answer.status_code == 403
    assert "someone else must approve it" in answer.json()["error"]["message"]


def test_a_second_decision_and_a_stranger_are_refused(api, people, change, make_user):
    api.force_authenticate(people["ann"])
    api.post(decide_url(change), {"outcome": "approve"}, format="json")
    again = api.post(decide_url(change), {"outcome": "reject"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"
    api.force_authenticate(make_user(Role.CAB_MEMBER, username="dan"))
    stranger = api.post(decide_url(change), {"outcome": "approve"}, format="json")
    assert stranger.status_code == 403 and "not an approver of CAB" in stranger.json()["error"]["message"]


def test_a_rejection_returns_the_change_to_assessment(api, people, change):
    api.force_authenticate(people["cid"])
    assert api.post(decide_url(change), {"outcome": "reject", "comment": "No"}, format="json").status_code == 200
    change.refresh_from_db()
    assert change.state == ChangeState.ASSESSMENT


def test_read_only_callers_read_but_never_decide(api, people, change, auditor, token_client):
    api.force_authenticate(auditor)
    assert api.get(reverse("api:changes:approval-list")).status_code == 200
    assert api.post(decide_url(change), {"outcome": "approve"}, format="json").status_code == 403
    client = token_client(people["ann"], read_only=True)
    assert client.post(decide_url(change), {"outcome": "approve"}, format="json").status_code == 403
    assert not pending_authorisation(change).groups.get().decisions.exists()


def test_unknown_input_is_refused(api, people, change):
    api.force_authenticate(people["ann"])
    answer = api.post(decide_url(change), {"outcome": "approve", "on_behalf": "bob"}, format="json")
    assert answer.status_code == 400


def test_administrators_manage_rules_through_the_api(api, people):
    api.force_authenticate(people["admin"])
    created = api.post(reverse("api:changes:approval-rule-list"), {
        "name": "High risk", "min_risk": "high", "users": [people["ann"].pk, people["bob"].pk], "quorum": "all"},
        format="json")
    assert created.status_code == 201
    rule = created.json()
    assert [u["username"] for u in rule["users"]] == ["ann", "bob"]
    url = reverse("api:changes:approval-rule-detail", args=[rule["id"]])
    assert api.patch(url, {"quorum": "percent", "quorum_value": 101}, format="json").status_code == 400
    assert api.patch(url, {"is_active": False}, format="json").json()["is_active"] is False
    api.force_authenticate(people["manager"])
    assert api.patch(url, {"is_active": True}, format="json").status_code == 403
    assert api.get(url).status_code == 200
