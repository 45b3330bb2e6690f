"""The API conventions every endpoint inherits, exercised on the test ticket endpoint."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from itsm.choices import Role
from itsm.models import ApiToken
from tests.assertions import assert_nothing_written
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import Ticket

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/test/tickets/"


@pytest.fixture
def client(agent, token_client):
    return token_client(agent)


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


# --- authentication -------------------------------------------------------------------------

def test_anonymous_requests_get_401_with_the_error_format(api):
    response = api.get(TICKETS)

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("change", [
    {"expires_at": timezone.now() - timedelta(minutes=1)},
    {"revoked_at": timezone.now()},
])
def test_expired_and_revoked_tokens_are_refused(agent, token_client, change):
    client = token_client(agent)
    ApiToken.objects.filter(user=agent).update(**change)

    response = client.get(TICKETS)

    assert response.status_code == 401
    assert error_of(response)["message"] == "Invalid, expired or revoked token."


def test_only_a_digest_of_the_token_is_stored(agent):
    from itsm import services

    token, secret = services.token_create(actor=agent, user=agent, name="ci", days=30, read_only=False)

    assert secret not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert token.key_prefix == secret[:12]


def test_a_read_only_token_reads_but_never_writes(agent, token_client):
    client = token_client(agent, read_only=True)

    assert client.get(TICKETS).status_code == 200
    refused = client.post(TICKETS, {"title": "x"}, format="json")
    assert refused.status_code == 403
    assert error_of(refused)["message"] == "This token is read-only."
    assert not Ticket.objects.exists()


def test_auditors_read_but_every_unsafe_method_is_refused(auditor, agent, token_client):
    ticket = make_ticket(agent)
    client = token_client(auditor)

    assert client.get(f"{TICKETS}{ticket.pk}/").status_code == 200
    with assert_nothing_written():
        assert client.post(TICKETS, {"title": "x"}, format="json").status_code == 403
        assert client.patch(f"{TICKETS}{ticket.pk}/", {"title": "x", "version": 1}, format="json").status_code == 403
        assert client.post(f"{TICKETS}{ticket.pk}/comments/", {"body": "x"}, format="json").status_code == 403


def test_a_role_taken_away_counts_from_the_next_request(agent, token_client):
    from django.contrib.auth.models import Group

    client = token_client(agent)
    assert client.get(TICKETS).status_code == 200

    agent.groups.remove(Group.objects.get(name=Role.AGENT))

    assert client.get(TICKETS).status_code == 403


def test_a_token_request_reads_the_roles_with_the_token(agent, token_client, django_assert_num_queries):
    client = token_client(agent)
    client.get(TICKETS)  # warm: content types

    # The token with its user and roles, then the (short) page of tickets: no query of the
    # user's groups for the permission checks.
    with django_assert_num_queries(2):
        assert client.get(TICKETS).status_code == 200


# --- bad input ------------------------------------------------------------------------------

def test_malformed_json_gets_400(client):
    response = client.post(TICKETS, data='{"title": ', content_type="application/json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_unknown_and_read_only_fields_are_refused_with_field_messages(client):
    with assert_nothing_written():
        response = client.post(TICKETS, {"title": "ok", "colour": "red", "number": "TKT1"}, format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"colour": ["Unknown field."], "number": ["Unknown field."]}


def test_wrong_types_get_field_messages(client):
    response = client.post(TICKETS, {"title": ["not", "a", "string"], "customer": "abc"}, format="json")

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"title", "customer"}


def test_an_oversize_body_is_refused(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    with assert_nothing_written():
        response = client.post(TICKETS, {"title": "x" * 2000}, format="json")

    assert response.status_code == 413
    assert "too large" in error_of(response)["message"]


# --- idempotent creates ---------------------------------------------------------------------

def test_a_retried_create_with_the_same_key_replays_the_first_answer(client):
    first = client.post(TICKETS, {"title": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = client.post(TICKETS, {"title": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(client):
    client.post(TICKETS, {"title": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    with assert_nothing_written():
        response = client.post(TICKETS, {"title": "Twice"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert response.status_code == 409


def test_a_failed_create_does_not_burn_the_key(client):
    with assert_nothing_written():
        assert client.post(TICKETS, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-3").status_code == 400
    assert client.post(TICKETS, {"title": "ok"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3").status_code == 201


# --- optimistic concurrency -----------------------------------------------------------------

def test_reads_carry_an_etag_and_a_matching_if_match_updates(client, agent):
    ticket = make_ticket(agent)
    read = client.get(f"{TICKETS}{ticket.pk}/")

    updated = client.patch(f"{TICKETS}{ticket.pk}/", {"title": "New"}, format="json", HTTP_IF_MATCH=read["ETag"])

    assert updated.status_code == 200, updated.json()
    assert updated.json()["version"] == 2
    assert updated["ETag"] != read["ETag"]


def test_a_stale_if_match_gets_412_and_never_wins(client, agent):
    ticket = make_ticket(agent)
    stale = client.get(f"{TICKETS}{ticket.pk}/")["ETag"]
    client.patch(f"{TICKETS}{ticket.pk}/", {"title": "First"}, format="json", HTTP_IF_MATCH=stale)

    response = client.patch(f"{TICKETS}{ticket.pk}/", {"title": "Second"}, format="json", HTTP_IF_MATCH=stale)

    assert response.status_code == 412
    assert Ticket.objects.get(pk=ticket.pk).title == "First"


def test_a_stale_version_in_the_body_gets_412(client, agent):
    ticket = make_ticket(agent)
    client.patch(f"{TICKETS}{ticket.pk}/", {"title": "First", "version": 1}, format="json")

    response = client.patch(f"{TICKETS}{ticket.pk}/", {"title": "Second", "version": 1}, format="json")

    assert response.status_code == 412
    assert error_of(response)["code"] == "stale"


def test_an_update_without_a_precondition_gets_428(client, agent):
    ticket = make_ticket(agent)

    response = client.patch(f"{TICKETS}{ticket.pk}/", {"title": "Blind"}, format="json")

    assert response.status_code == 428
    assert Ticket.objects.get(pk=ticket.pk).title != "Blind"


def test_delete_is_not_offered(client, agent):
    assert client.delete(f"{TICKETS}{make_ticket(agent).pk}/").status_code == 405


# --- transitions and journal ----------------------------------------------------------------

def test_a_transition_not_allowed_from_the_current_state_gets_409(client, agent):
    ticket = make_ticket(agent)

    response = client.post(f"{TICKETS}{ticket.pk}/transition/", {"transition": "close"}, format="json")

    assert response.status_code == 409
    assert error_of(response)["code"] == "transition_not_allowed"


def test_a_failed_guard_gets_400_naming_the_field(client, agent):
    ticket = make_ticket(agent)

    response = client.post(f"{TICKETS}{ticket.pk}/transition/", {"transition": "resolve"}, format="json")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["resolution_code"]


def test_the_api_offers_exactly_the_allowed_transitions(client, agent):
    ticket = make_ticket(agent)

    response = client.get(f"{TICKETS}{ticket.pk}/transitions/")

    assert [t["name"] for t in response.json()] == ["start", "resolve"]


def test_comments_and_work_notes_appear_on_the_journal(client, agent):
    ticket = make_ticket(agent)
    client.post(f"{TICKETS}{ticket.pk}/comments/", {"body": "Hello caller"}, format="json")
    client.post(f"{TICKETS}{ticket.pk}/comments/", {"body": "Internal", "internal": True}, format="json")

    journal = client.get(f"{TICKETS}{ticket.pk}/journal/").json()

    assert [(e["kind"], e["body"], e["is_public"]) for e in journal["results"]] == [
        ("comment", "Hello caller", True), ("work_note", "Internal", False),
    ]


# --- filtering, ordering, pagination --------------------------------------------------------

def test_declared_filters_work(client, agent):
    make_ticket(agent, title="a")
    other = make_ticket(agent, title="b")
    client.post(f"{TICKETS}{other.pk}/transition/", {"transition": "start"}, format="json")

    response = client.get(TICKETS, {"state": "in_progress"})

    assert [t["number"] for t in response.json()["results"]] == [other.number]


@pytest.mark.parametrize("param", ["colour", "created_by__password__startswith", "created_by__password"])
def test_undeclared_filters_are_refused(client, param):
    response = client.get(TICKETS, {param: "pbkdf2"})

    assert response.status_code == 400
    assert error_of(response)["fields"] == {param: ["Unknown query parameter."]}


def test_a_filter_on_a_records_url_still_narrows_it_and_an_unknown_one_is_still_refused(client, agent):
    # A record's URL without a filter skips the FilterSet; with one, it must still apply.
    ticket = make_ticket(agent, title="a")

    assert client.get(f"{TICKETS}{ticket.pk}/").status_code == 200
    assert client.get(f"{TICKETS}{ticket.pk}/", {"state": "new"}).status_code == 200
    assert client.get(f"{TICKETS}{ticket.pk}/", {"state": "in_progress"}).status_code == 404
    response = client.get(f"{TICKETS}{ticket.pk}/", {"colour": "red"})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"colour": ["Unknown query parameter."]}


def test_undeclared_ordering_is_refused(client):
    response = client.get(TICKETS, {"ordering": "created_by__password"})

    assert response.status_code == 400
    assert "ordering" in error_of(response)["fields"]


def test_pages_are_stable_even_when_the_sort_key_ties(client, agent):
    tickets = [make_ticket(agent, title="same") for _ in range(7)]
    Ticket.objects.update(created_at=timezone.now())  # every sort key ties

    seen = []
    for page in (1, 2, 3):
        response = client.get(TICKETS, {"ordering": "created_at", "page_size": 3, "page": page})
        seen += [t["number"] for t in response.json()["results"]]

    assert seen == [t.number for t in tickets]


def test_requests_beyond_the_rate_are_throttled(client, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

    original = UserRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "3/minute"}
    try:  # the counters start empty (conftest's empty_cache)
        statuses = [client.get(TICKETS).status_code for _ in range(4)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
    assert statuses == [200, 200, 200, 429]


def test_the_rate_limit_opens_again_in_the_next_window_and_says_when(agent, monkeypatch):
    from rest_framework.test import APIRequestFactory

    from itsm.api.throttling import WindowUserRateThrottle

    monkeypatch.setattr(WindowUserRateThrottle, "get_rate", lambda self: "2/minute")
    clock = [600.0]
    monkeypatch.setattr(WindowUserRateThrottle, "timer", lambda self: clock[0])
    request = APIRequestFactory().get("/")
    request.user = agent

    def allowed():
        throttle = WindowUserRateThrottle()
        return throttle.allow_request(request, None), throttle.wait()

    assert [allowed()[0] for _ in range(3)] == [True, True, False]
    clock[0] = 630.0
    assert allowed() == (False, 30.0)  # half the minute left
    clock[0] = 660.0
    assert allowed()[0] is True


def test_a_window_counter_counts_and_expires_with_its_window(agent):
    from django.core.cache import caches

    from itsm.api.throttling import WindowUserRateThrottle
    from itsm.cache import redis_client

    throttle = WindowUserRateThrottle()

    assert [throttle.count("throttle_test:1", 61) for _ in range(3)] == [1, 2, 3]
    client = redis_client()
    if client is not None:  # CI's PostgreSQL + Redis run: the counter has a lifetime
        key = caches["default"].make_and_validate_key("throttle_test:1")
        assert 0 < client.ttl(key) <= 61
