from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from itsm.beat import SchedulerLease
from itsm.models import WorkerHeartbeat
from itsm.tasks import record_heartbeat

pytestmark = pytest.mark.django_db


def test_health_is_degraded_until_a_worker_has_beaten(client):
    with mock.patch("itsm.views.health.check_broker", return_value={"ok": True}):
        response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"] == {"ok": False, "error": "no heartbeat yet"}


def test_health_is_ok_with_a_fresh_heartbeat(client):
    record_heartbeat()
    SchedulerLease().hold()  # a beat runs

    with mock.patch("itsm.views.health.check_broker", return_value={"ok": True}):
        response = client.get("/health/")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_a_stale_heartbeat_is_reported(client):
    WorkerHeartbeat.objects.create(name="worker", beat_at=timezone.now() - timedelta(minutes=10))

    with mock.patch("itsm.views.health.check_broker", return_value={"ok": True}):
        worker = client.get("/health/").json()["checks"]["worker"]

    assert worker["ok"] is False and worker["age_seconds"] >= 600


def test_an_unreachable_broker_is_reported_without_connection_details(client):
    from kombu import Connection

    from itsm.celery import app

    record_heartbeat()
    unreachable = Connection("redis://:secret@127.0.0.1:1/0", connect_timeout=1)
    with mock.patch.object(app, "connection_for_write", return_value=unreachable):
        response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert b"secret" not in response.content


def test_health_refuses_unsafe_methods(client):
    assert client.post("/health/").status_code == 405
