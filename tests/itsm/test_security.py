"""Security defaults that hold across the product (browser pages have their own tests)."""

import logging

import pytest

from itsm.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_api_responses_carry_the_security_headers(agent, token_client):
    response = token_client(agent).get("/api/v1/me/")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_celery_accepts_and_sends_json_only():
    assert celery_app.conf.accept_content == ["json"]
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.result_serializer == "json"


def test_workers_acknowledge_late_and_requeue_on_worker_loss():
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1


def test_no_password_hash_appears_in_user_responses(agent, admin_user, token_client):
    client = token_client(admin_user)

    for url in ("/api/v1/users/", f"/api/v1/users/{agent.pk}/", "/api/v1/me/"):
        content = client.get(url).content.decode()
        assert agent.password not in content and admin_user.password not in content
        assert "password" not in content


def test_token_secrets_and_session_ids_never_reach_the_logs(agent, api, client, caplog):
    caplog.set_level(logging.DEBUG)
    api.force_authenticate(agent)
    secret = api.post("/api/v1/tokens/", {"name": "ci", "days": 1}, format="json").json()["token"]
    api.force_authenticate(None)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    api.get("/api/v1/me/")
    api.get("/api/v1/does-not-exist/")
    client.force_login(agent)
    client.get("/api/v1/nowhere/")
    session_id = client.cookies["sessionid"].value

    assert secret not in caplog.text
    assert session_id not in caplog.text


def test_filters_cannot_walk_into_related_users_passwords(agent, token_client):
    response = token_client(agent).get("/api/v1/teams/", {"lead__password__startswith": "pbkdf2"})

    assert response.status_code == 400
