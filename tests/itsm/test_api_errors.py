"""Under /api/ every error is the API's JSON shape, never an HTML page (issue 16, defect 5):
also the answers no API view writes (a path the router does not match, Django's 500 page)."""

from unittest import mock

import pytest
from django.test import Client

from itsm.api.throttling import WindowUserRateThrottle
from itsm.api.views import MeView

pytestmark = pytest.mark.django_db


def assert_api_error(response, status, code=None):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    error = response.json()["error"]
    assert error["status"] == status and error["message"]
    if code:
        assert error["code"] == code
    assert b"<html" not in response.content.lower()
    return error


@pytest.mark.parametrize("path", ["/api/v1/incidents/abc/", "/api/v1/unknown/", "/api/v1/customers/1/nothing/",
                                  "/api/nothing/"])
def test_a_path_the_router_does_not_match_is_a_json_404(path, agent):
    client = Client()
    client.force_login(agent)

    assert_api_error(client.get(path), 404, "not_found")
    assert_api_error(Client().get(path), 404, "not_found")  # anonymous too


def test_a_missing_record_is_a_json_404(admin_user, token_client):
    assert_api_error(token_client(admin_user).get("/api/v1/customers/999999/"), 404, "not_found")


def test_a_method_not_allowed_is_a_json_405_with_allow(admin_user, token_client):
    response = token_client(admin_user).delete("/api/v1/customers/")

    assert_api_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_body_too_large_is_a_json_413(admin_user, token_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = token_client(admin_user).post("/api/v1/customers/", {"code": "x", "name": "n" * 2000}, format="json")

    error = assert_api_error(response, 413, "body_too_large")
    assert "1000 bytes" in error["message"]


def test_too_many_requests_is_a_json_429_with_retry_after(admin_user, token_client, monkeypatch):
    monkeypatch.setattr(WindowUserRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "2/minute"})
    client = token_client(admin_user)

    answers = [client.get("/api/v1/me/") for _ in range(3)]

    assert [a.status_code for a in answers[:2]] == [200, 200]
    assert_api_error(answers[2], 429, "throttled")
    assert int(answers[2]["Retry-After"]) >= 0


def test_a_server_error_is_a_json_500_without_details(agent, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(agent)

    with mock.patch.object(MeView, "get", side_effect=RuntimeError("secret detail")):
        response = client.get("/api/v1/me/")

    assert_api_error(response, 500, "server_error")
    assert b"secret detail" not in response.content
    assert response["X-Content-Type-Options"] == "nosniff"  # the other middleware's headers stay
    assert "secret detail" in caplog.text  # logged, as any server error


def test_errors_outside_the_api_stay_pages(agent):
    client = Client()
    client.force_login(agent)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
