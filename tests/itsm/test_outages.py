"""A server the product can do without is down: the cache (issue 16, defect 2).

The cache holds conveniences only (rate-limit counters, counts kept for seconds): with it down,
the API answers as usual, nothing waits on it per request, one warning is logged per outage,
and /health/ says it is down. (The broker: tests/itsm/test_outbox.py; the drills with the real
processes: scripts/drills.py.)
"""

import logging

import pytest
from django.core.cache import cache

from itsm.breaker import breaker
from itsm.cache import OPEN_SECONDS
from itsm.models import Customer
from itsm.settings import cache_settings
from itsm.tasks import record_heartbeat

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: connecting is refused at once, as when Redis is down.
CLOSED = "redis://127.0.0.1:1/0"


@pytest.fixture
def cache_down(settings):
    """The product's cache configuration for a Redis CACHE_URL, pointed at a closed port."""
    settings.CACHES = cache_settings(CLOSED)
    yield
    breaker("cache", CLOSED, OPEN_SECONDS).reset()


def test_with_the_cache_down_authenticated_api_reads_and_writes_succeed(cache_down, admin_user, token_client):
    client = token_client(admin_user)

    me = client.get("/api/v1/me/")
    created = client.post("/api/v1/customers/", {"code": "acme", "name": "Acme"}, format="json")
    listed = client.get("/api/v1/customers/")

    assert me.status_code == 200, me.content
    assert created.status_code == 201, created.content
    assert listed.status_code == 200 and [c["code"] for c in listed.json()["results"]] == ["acme"]
    assert Customer.objects.filter(code="acme").exists()


def test_with_the_cache_down_anonymous_api_calls_get_their_usual_answer(cache_down, client):
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_a_cache_outage_is_logged_once_not_per_request(cache_down, admin_user, token_client, caplog):
    client = token_client(admin_user)

    with caplog.at_level(logging.WARNING, logger="itsm.breaker"):
        for _ in range(5):
            assert client.get("/api/v1/me/").status_code == 200
        cache.get("anything")
        cache.set("anything", 1)

    warnings = [r for r in caplog.records if r.name == "itsm.breaker" and "unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert "cache redis://127.0.0.1:1/0 unavailable" in warnings[0].getMessage()
    assert breaker("cache", CLOSED, OPEN_SECONDS).is_open  # later calls do not even try


def test_a_cache_that_is_down_is_a_miss_and_drops_writes(cache_down):
    assert cache.get("k", "default") == "default"
    assert cache.get_or_set("k", lambda: 42, 30) == 42  # computed, as on a miss
    assert cache.add("k", 1) is False
    cache.set("k", 1)
    assert cache.get_many(["k"]) == {}
    with pytest.raises(ValueError):
        cache.incr("k")  # as for a missing key


def test_health_says_the_cache_is_down(cache_down, client):
    record_heartbeat()

    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["cache"] == {"ok": False, "backend": "redis", "error": "ConnectionError"}
    assert body["checks"]["database"]["ok"] is True
    assert b"127.0.0.1:1" not in response.content


def test_health_reports_the_cache_up(client):
    assert client.get("/health/").json()["checks"]["cache"]["ok"] is True


def test_health_bounds_a_check_that_hangs(client, monkeypatch):
    import threading

    from itsm.views import health

    release = threading.Event()

    def hangs():
        release.wait(10)
        return {"ok": True}

    monkeypatch.setattr(health, "check_broker", hangs)
    monkeypatch.setattr(health, "CHECK_DEADLINE", 0.05)
    try:
        broker = client.get("/health/").json()["checks"]["broker"]
    finally:
        release.set()

    assert broker == {"ok": False, "error": "timeout"}


def test_health_bounds_a_database_that_hangs_and_then_reads_nothing_from_it(client, monkeypatch):
    import threading

    from itsm.views import health

    release = threading.Event()
    monkeypatch.setattr(health, "check_database", lambda: release.wait(10) and {"ok": True})
    monkeypatch.setattr(health, "CHECK_DEADLINE", 0.05)
    try:
        response = client.get("/health/")
    finally:
        release.set()

    checks = response.json()["checks"]
    assert response.status_code == 503
    assert checks["database"] == {"ok": False, "error": "timeout"}
    assert checks["worker"] == checks["scheduler"] == {"ok": False, "error": "database unavailable"}


def test_nothing_that_must_not_be_lost_lives_in_the_cache(settings):
    """Sessions and the login lock-out are in the database: a cache outage signs nobody out and
    does not lift the lock-out (docs/operations.md, "When a server is down")."""
    from axes.conf import settings as axes_settings

    assert settings.SESSION_ENGINE in ("django.contrib.sessions.backends.db",
                                       "django.contrib.sessions.backends.cached_db")
    assert axes_settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"


def test_with_the_cache_down_people_sign_in_and_stay_signed_in(cache_down, agent):
    from django.test import Client
    from django.urls import reverse

    from tests.conftest import PASSWORD

    client = Client()
    signed_in = client.post(reverse("login"), {"username": "agent", "password": PASSWORD})

    assert signed_in.status_code == 302
    assert client.get(reverse("home")).status_code == 200
