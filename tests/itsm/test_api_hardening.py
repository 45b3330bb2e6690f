"""Issue 16, defects 7 and 8: idempotent replays are the first answer byte for byte; an over-long
Idempotency-Key and a bad page_size are 400; a sign-in writes no history row; everyone signed in
may change their own password; the business-time questions say in the schema that they write
nothing."""

import pytest
import yaml
from django.conf import settings
from django.urls import reverse

from itsm.choices import Role
from itsm.models import IdempotencyKey, User
from tests.assertions import assert_nothing_written
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REPLAYED = ("Content-Type", "ETag", "Location")


@pytest.fixture
def admin_api(token_client, make_user):
    return token_client(make_user(Role.ADMINISTRATOR, Role.AGENT, username="boss"))


@pytest.mark.parametrize(("url", "body"), [
    ("/api/v1/customers/", {"name": "Acme", "code": "acme", "email": "it@acme.example"}),
    ("/api/v1/incidents/", {"short_description": "Mail is down", "contact_name": "Ann", "impact": 2,
                            "urgency": 2}),
])
def test_a_replay_is_the_first_answer_byte_for_byte_with_its_headers(admin_api, url, body):
    first = admin_api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    # The same body with its keys in another order is the same request.
    replay = admin_api.post(url, dict(reversed(list(body.items()))), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == replay.status_code == 201
    assert replay.content == first.content
    assert "ETag" in first
    assert {h: replay.get(h) for h in REPLAYED} == {h: first.get(h) for h in REPLAYED}
    assert replay["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first


def test_a_replay_after_the_record_changed_is_still_the_first_answer(admin_api):
    first = admin_api.post("/api/v1/customers/", {"name": "Acme", "code": "acme"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="k-2")
    customer = first.json()
    admin_api.patch(f"/api/v1/customers/{customer['id']}/", {"name": "Acme Ltd"}, format="json",
                    HTTP_IF_MATCH=first["ETag"])

    replay = admin_api.post("/api/v1/customers/", {"name": "Acme", "code": "acme"}, format="json",
                            HTTP_IDEMPOTENCY_KEY="k-2")

    assert replay.content == first.content
    assert replay["ETag"] == first["ETag"]


def test_an_over_long_idempotency_key_is_a_400(admin_api):
    with assert_nothing_written():
        response = admin_api.post("/api/v1/customers/", {"name": "Acme", "code": "acme"}, format="json",
                                  HTTP_IDEMPOTENCY_KEY="k" * 256)

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"Idempotency-Key": ["At most 255 characters."]}
    assert IdempotencyKey.objects.count() == 0


def test_an_idempotency_key_with_a_nul_is_a_400(admin_api):
    with assert_nothing_written():
        response = admin_api.post("/api/v1/customers/", {"name": "Acme", "code": "acme"}, format="json",
                                  HTTP_IDEMPOTENCY_KEY="k\x001")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"Idempotency-Key": ["Null characters are not allowed."]}


@pytest.mark.parametrize("value", ["abc", "-5", "0", "", "1.5"])
def test_a_bad_page_size_is_refused(admin_api, value):
    response = admin_api.get(f"/api/v1/customers/?page_size={value}")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"page_size": ["Enter a whole number from 1 to 500."]}


def test_a_page_size_over_the_maximum_gives_the_maximum(admin_api):
    assert admin_api.get("/api/v1/customers/?page_size=100000").status_code == 200
    assert admin_api.get("/api/v1/customers/?page_size=2").status_code == 200


def test_signing_in_writes_no_history_row(client):
    user = UserFactory(username="ann", roles=[Role.AGENT])
    rows = user.history.count()

    response = client.post(reverse("login"), {"username": "ann", "password": PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.last_login is not None
    assert user.history.count() == rows


def test_other_saves_of_a_user_still_write_history():
    user = UserFactory(username="ann", roles=[Role.AGENT])
    rows = user.history.count()

    user.first_name = "Ann"
    user.save(update_fields=["first_name"])

    assert user.history.count() == rows + 1


@pytest.mark.parametrize("roles", [[], [Role.AUDITOR], [Role.REQUESTER]])
def test_everyone_signed_in_may_change_their_own_password(client, roles):
    user = UserFactory(username="nobody", roles=[str(r) for r in roles])
    client.force_login(user)

    page = client.get(reverse("password_change"))
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "a-new-secret-91", "new_password2": "a-new-secret-91"})

    assert page.status_code == 200
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).check_password("a-new-secret-91")


def test_the_business_time_questions_say_in_the_schema_that_they_write_nothing():
    schema = yaml.safe_load((settings.BASE_DIR / "docs" / "openapi.yaml").read_text())
    for question in ("add", "between"):
        operation = schema["paths"][f"/api/v1/slas/calendars/{{id}}/{question}/"]["post"]
        assert "writes nothing" in operation["description"]
        assert "auditors and read-only tokens" in operation["description"]


def test_the_permission_matrix_lets_auditors_and_read_only_tokens_ask_them():
    from tests.slas.matrix_api import ENTRIES

    for question in ("add", "between"):
        assert {"auditor", "read_only_token"} <= ENTRIES[f"api:slas:calendar-{question}"].write
