"""A person's own settings: preferences, the language menu and API tokens."""

import hashlib
import io
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from itsm import services
from itsm.models import ApiToken, Customer
from tests.assertions import assert_nothing_written

pytestmark = pytest.mark.django_db

TOKENS = reverse("tokens")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def test_preferences_show_the_current_choice(agent_client, agent):
    form = agent_client.get(reverse("preferences")).context["form"]

    assert form.initial == {"language": "en", "time_zone": "UTC"}


def test_saving_preferences_applies_them_at_once(agent_client, agent):
    response = agent_client.post(reverse("preferences"), {"language": "zh-hans", "time_zone": "Asia/Shanghai"})

    agent.refresh_from_db()
    assert (agent.language, agent.time_zone) == ("zh-hans", "Asia/Shanghai")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert agent_client.get(response["Location"])["Content-Language"] == "zh-hans"


def test_an_unknown_time_zone_is_a_form_error(agent_client, agent):
    response = agent_client.post(reverse("preferences"), {"language": "en", "time_zone": "Mars/Olympus"})

    assert "time_zone" in response.context["form"].errors
    agent.refresh_from_db()
    assert agent.time_zone == "UTC"


def test_times_are_shown_in_the_persons_time_zone(agent_client, agent, admin_user):
    customer = services.customer_create(actor=admin_user, data={"code": "acme", "name": "Acme"})
    Customer.objects.filter(pk=customer.pk).update(updated_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    services.user_preferences_update(actor=agent, user=agent, language="en", time_zone="Asia/Shanghai")

    html = agent_client.get(reverse("customer_detail", args=[customer.pk])).content.decode()

    assert "03/01/2026 8 p.m." in html


def test_the_language_menu_saves_the_choice_and_returns_to_the_page(agent_client, agent):
    response = agent_client.post(reverse("language_switch"), {"language": "zh-hans", "next": "/accounts/tokens/"})

    assert response["Location"] == "/accounts/tokens/"
    agent.refresh_from_db()
    assert agent.language == "zh-hans"


def test_the_language_menu_works_before_signing_in(client):
    response = client.post(reverse("language_switch"), {"language": "zh-hans", "next": reverse("login")})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert client.get(reverse("login"))["Content-Language"] == "zh-hans"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
def test_the_language_menu_never_redirects_to_another_site(client, target):
    response = client.post(reverse("language_switch"), {"language": "en", "next": target})

    assert response["Location"] == reverse("home")


def test_an_unknown_language_changes_nothing(agent_client, agent):
    response = agent_client.post(reverse("language_switch"), {"language": "xx", "next": "/"})

    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    agent.refresh_from_db()
    assert agent.language == "en"


def create_token(client, **data):
    return client.post(TOKENS, {"name": "monitoring", "days": 30, **data})


def test_a_new_token_is_shown_once_and_stored_only_as_a_digest(agent_client, agent):
    response = create_token(agent_client, read_only="on")

    secret = response.context["secret"]
    token = ApiToken.objects.get()
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert token.key_digest == hashlib.sha256(secret.encode()).hexdigest()
    assert (token.user, token.name, token.read_only) == (agent, "monitoring", True)
    assert secret not in agent_client.get(TOKENS).content.decode()


def test_the_secret_is_nowhere_in_the_database(agent_client):
    secret = create_token(agent_client).context["secret"]

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    sessions = [str(session.get_decoded()) for session in Session.objects.all()]
    assert secret not in dump.getvalue()
    assert not any(secret in data for data in sessions)


def test_the_new_token_works_on_the_api(agent_client):
    secret = create_token(agent_client).context["secret"]

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/me/").json()["username"] == "agent"


def test_the_token_list_shows_own_tokens_with_their_state(agent_client, agent, admin_user):
    services.token_create(actor=agent, user=agent, name="active one", days=5, read_only=False)
    revoked, _ = services.token_create(actor=agent, user=agent, name="revoked one", days=5, read_only=False)
    services.token_revoke(actor=agent, token=revoked)
    services.token_create(actor=admin_user, user=admin_user, name="not mine", days=5, read_only=False)

    response = agent_client.get(TOKENS)

    html = response.content.decode()
    assert [t.name for t in response.context["tokens"]] == ["revoked one", "active one"]
    assert "not mine" not in html
    assert "Revoked" in html and "Active" in html


def test_token_form_errors_keep_the_input(agent_client):
    with assert_nothing_written():
        response = create_token(agent_client, days=0)

    assert "days" in response.context["form"].errors
    assert 'value="monitoring"' in response.content.decode()


def test_revoking_a_token(agent_client, agent):
    token, _ = services.token_create(actor=agent, user=agent, name="ci", days=5, read_only=False)

    response = agent_client.post(reverse("token_revoke", args=[token.pk]), follow=True)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "The token “ci” is revoked." in response.content.decode()


def test_nobody_revokes_someone_elses_token_from_this_page(agent_client, admin_user):
    token, _ = services.token_create(actor=admin_user, user=admin_user, name="admin's", days=5, read_only=False)

    response = agent_client.post(reverse("token_revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
