"""Samples through the API: draw one (with a seed or without), once per Idempotency-Key, read
the frozen samples with their parameters and items; auditors and their read-only tokens may draw,
agents may not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audits.models import AuditEntry, Sample
from itsm.choices import Role
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db

URL = "/api/v1/audits/samples/"


def _period():
    now = timezone.now()
    return {"period_start": (now - timedelta(days=1)).isoformat(), "period_end": (now + timedelta(days=1)).isoformat()}


def test_an_auditor_draws_a_sample_with_a_seed_and_reads_it_back_with_its_items(api, auditor, agent):
    incidents = [make_incident(agent, short_description=f"Incident {n}") for n in range(8)]
    api.force_authenticate(auditor)

    created = api.post(URL, {"source": "incidents", **_period(), "size": 3, "seed": 2024}, format="json")
    detail = api.get(created["Location"])
    listed = api.get(URL)

    assert created.status_code == 201 and detail.status_code == 200
    body = detail.json()
    assert (body["source"], body["size"], body["seed"], body["population"], body["drawn_by"]) == (
        "incidents", 3, 2024, 8, "auditor")
    numbers = {incident.pk: incident.number for incident in incidents}
    assert [item["position"] for item in body["items"]] == [1, 2, 3]
    assert all(item["label"] == numbers[item["object_id"]] and item["record_type"] == "incident"
               for item in body["items"])
    assert listed.json()["results"][0]["items"] == body["items"]
    again = api.post(URL, {"source": "incidents", **_period(), "size": 3, "seed": 2024}, format="json").json()
    assert [item["object_id"] for item in again["items"]] == [item["object_id"] for item in body["items"]]


def test_without_a_seed_a_new_one_is_chosen_kept_and_on_the_trail(api, auditor, agent):
    make_incident(agent)
    api.force_authenticate(auditor)

    created = api.post(URL, {"source": "incidents", **_period(), "size": 5}, format="json").json()

    assert isinstance(created["seed"], int) and Sample.objects.get().seed == created["seed"]
    assert AuditEntry.objects.get(action="sample_drawn").changes["seed"] == created["seed"]
    assert len(created["items"]) == 1


def test_filters_narrow_the_population(api, auditor, agent):
    high = make_incident(agent, impact=1, urgency=1)
    make_incident(agent)
    api.force_authenticate(auditor)

    created = api.post(URL, {"source": "incidents", **_period(), "size": 25, "priorities": [1, 2]},
                       format="json").json()

    assert [item["object_id"] for item in created["items"]] == [high.pk]
    assert (created["priorities"], created["population"]) == ([1, 2], 1)


def test_the_same_idempotency_key_draws_once(api, auditor, agent):
    make_incident(agent)
    api.force_authenticate(auditor)
    body = {"source": "incidents", **_period(), "size": 1}

    first = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="sample-q1")
    again = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="sample-q1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content and Sample.objects.count() == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"source": "sla-timers"}, "source"),  # not sampled
    ({"source": "horses"}, "source"),
    ({"size": 0}, "size"),
    ({"seed": -1}, "seed"),
    ({"period_end": "2020-01-01T00:00:00Z"}, "period_end"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_input_is_a_400_naming_the_field_and_draws_nothing(api, auditor, change, field):
    api.force_authenticate(auditor)

    response = api.post(URL, {"source": "incidents", **_period(), "size": 3, **change}, format="json")

    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    assert not Sample.objects.exists() and not AuditEntry.objects.filter(action="sample_drawn").exists()


def test_an_auditors_read_only_token_may_draw_an_agent_may_not(token_client, auditor, make_user):
    reader = token_client(auditor, read_only=True)
    agent_client = token_client(make_user(Role.AGENT))

    drawn = reader.post(URL, {"source": "incidents", **_period(), "size": 1}, format="json")
    refused = agent_client.post(URL, {"source": "incidents", **_period(), "size": 1}, format="json")
    hidden = agent_client.get(URL)

    assert (drawn.status_code, refused.status_code, hidden.status_code) == (201, 403, 403)
    assert Sample.objects.count() == 1
