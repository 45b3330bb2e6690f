"""Signing in and out, throttling, sessions, CSRF and the headers every page carries."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
NEW_PASSWORD = "a-much-better-secret-42"
GENERIC_ERROR = "The username or password is not correct."


def sign_in(client, username, password=PASSWORD, address="127.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_signing_in_with_the_right_password_opens_the_start_page(client, agent):
    response = sign_in(client, "agent")

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).context["user"] == agent


def test_sign_in_returns_to_the_page_asked_for(client, agent):
    response = client.post(f"{LOGIN}?next=/teams/", {"username": "agent", "password": PASSWORD, "next": "/teams/"})

    assert response["Location"] == "/teams/"


def test_sign_in_does_not_redirect_to_another_site(client, agent):
    response = client.post(LOGIN, {"username": "agent", "password": PASSWORD, "next": "https://evil.example/"})

    assert response["Location"] == reverse("home")


def test_a_wrong_password_and_an_unknown_account_get_the_same_generic_error(client, agent):
    wrong_password = sign_in(client, "agent", "not-the-password")
    unknown_user = sign_in(client, "nobody-by-this-name", "not-the-password")

    for response in (wrong_password, unknown_user):
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [GENERIC_ERROR]
        assert GENERIC_ERROR in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_inactive_account_gets_the_same_generic_error(client, make_user):
    make_user(username="gone", is_active=False)

    response = sign_in(client, "gone")

    assert response.context["form"].non_field_errors() == [GENERIC_ERROR]


def test_five_failures_for_one_account_lock_it_from_every_address(client, agent):
    answers = [sign_in(client, "agent", "wrong", address=f"10.0.0.{n}").status_code for n in range(1, 6)]

    locked = sign_in(client, "agent", PASSWORD, address="10.0.1.1")

    assert answers == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_failures_from_one_address_lock_it_for_every_account(client, agent):
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong", address="10.0.0.9")

    locked = sign_in(client, "agent", PASSWORD, address="10.0.0.9")
    elsewhere = sign_in(Client(), "agent", PASSWORD, address="10.0.0.10")

    assert locked.status_code == 429
    assert elsewhere.status_code == 302


def test_a_locked_unknown_account_gets_the_same_answer_as_a_real_one(client, agent):
    for n in range(5):
        sign_in(client, "agent", "wrong", address=f"10.1.0.{n}")
        sign_in(client, "ghost", "wrong", address=f"10.2.0.{n}")

    real = sign_in(client, "agent", "wrong", address="10.3.0.1")
    ghost = sign_in(client, "ghost", "wrong", address="10.3.0.2")

    assert real.status_code == ghost.status_code == 429
    assert real.content == ghost.content


def test_signing_in_replaces_the_session_key(client, agent):
    planted = SessionStore()
    planted["seen"] = True
    planted.create()
    client.cookies["sessionid"] = planted.session_key

    sign_in(client, "agent")

    assert client.cookies["sessionid"].value != planted.session_key
    assert not SessionStore().exists(planted.session_key)


def test_signing_out_needs_a_post(client, agent):
    client.force_login(agent)

    refused = client.get(reverse("logout"))
    still_in = client.get(reverse("home")).status_code
    signed_out = client.post(reverse("logout"))

    assert refused.status_code == 405
    assert still_in == 200
    assert signed_out["Location"] == LOGIN
    assert client.get(reverse("home"))["Location"].startswith(LOGIN)


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.post(reverse("preferences"), {"language": "zh-hans", "time_zone": "Asia/Shanghai"})

    assert response.status_code == 403
    assert "This form could not be accepted" in response.content.decode()
    agent.refresh_from_db()
    assert agent.language == "en"


def test_sign_in_also_needs_the_csrf_token(agent):
    response = sign_in(Client(enforce_csrf_checks=True), "agent")

    assert response.status_code == 403


def test_pages_carry_the_security_headers(client, agent):
    client.force_login(agent)

    for response in (Client().get(LOGIN), client.get(reverse("home"))):
        policy = response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy
        assert "style-src 'self'" in policy
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"


def test_changing_the_password_keeps_the_person_signed_in(client, agent):
    client.force_login(agent)

    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert response["Location"] == reverse("password_change_done")
    agent.refresh_from_db()
    assert agent.check_password(NEW_PASSWORD)
    assert client.get(reverse("password_change_done")).status_code == 200


def test_auditors_may_change_their_own_password(client, auditor):
    client.force_login(auditor)

    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert response.status_code == 302


def test_a_wrong_old_password_is_a_form_error(client, agent):
    client.force_login(agent)

    response = client.post(reverse("password_change"), {
        "old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)
