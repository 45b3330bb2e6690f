"""Fixtures shared by every app's tests: users per role, API clients, tokens."""

import pytest
from django.core.cache import cache, caches
from rest_framework.test import APIClient

from itsm import services
from itsm.breaker import reset_all
from itsm.cache import redis_client
from itsm.choices import Role
from tests.factories import UserFactory

# Fixture modules owned by their topic: browser (Playwright) and real-worker (Celery).
pytest_plugins = ["tests.fixtures_browser", "tests.fixtures_worker"]

PASSWORD = "pass-for-tests-1"


@pytest.fixture(scope="session", autouse=True)
def evidence_outside_var(tmp_path_factory):
    """No test signs with the installation's evidence key or writes bundles into its var/ (the
    demo data builds one): a key and a bundle folder of the test run's own."""
    from django.test import override_settings

    base = tmp_path_factory.mktemp("evidence")
    with override_settings(EVIDENCE_KEY_PATH=base / "evidence-key.pem", EVIDENCE_DIR=base / "bundles"):
        yield


@pytest.fixture(autouse=True)
def closed_breakers():
    """Every test starts trusting the servers again (a test that made the broker or the cache
    fail opened their breakers in this process: itsm/breaker.py)."""
    reset_all()


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache (counts kept for seconds, throttling counters).
    On Redis only this test run's keys go: `clear()` would empty the whole Redis database,
    including the keys of another test run, or of a benchmark, sharing it."""
    client = redis_client()
    if client is None:
        cache.clear()
        return
    keys = list(client.scan_iter(match=f"{caches['default'].key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def make_user(db):
    def make(*roles, **kwargs):
        return UserFactory(roles=[str(r) for r in roles], **kwargs)

    return make


@pytest.fixture
def agent(make_user):
    return make_user(Role.AGENT, username="agent")


@pytest.fixture
def team_lead(make_user):
    return make_user(Role.TEAM_LEAD, username="lead")


@pytest.fixture
def auditor(make_user):
    return make_user(Role.AUDITOR, username="auditor")


@pytest.fixture
def requester(make_user):
    return make_user(Role.REQUESTER, username="requester")


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMINISTRATOR, username="admin")


@pytest.fixture
def api():
    """An API client; call `api.force_authenticate(user)` or use `token_client`."""
    return APIClient()


@pytest.fixture
def token_client():
    """`token_client(user, read_only=False)` → an APIClient that sends a real bearer token."""

    def make(user, read_only=False):
        _, secret = services.token_create(actor=user, user=user, name="tests", days=1, read_only=read_only)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make
