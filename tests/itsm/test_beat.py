"""Exactly one beat (issue 16, item 9): the running beat holds a lease in the database; a second
one runs nothing, logs why, and /health/ names the holder."""

import logging
from datetime import timedelta
from unittest import mock

import pytest
from celery.beat import PersistentScheduler
from django.utils import timezone

from itsm import beat
from itsm.celery import app
from itsm.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_the_first_beat_takes_the_lease_and_a_second_is_refused():
    first, second = beat.SchedulerLease("host-a pid 1 aaaa"), beat.SchedulerLease("host-b pid 2 bbbb")

    assert first.hold() is True
    assert second.hold() is False
    assert second.holder == "host-a pid 1 aaaa"
    assert WorkerHeartbeat.objects.get(name=beat.LEASE_NAME).hostname == "host-a pid 1 aaaa"


def test_a_lease_not_renewed_for_its_lifetime_is_taken_over(caplog):
    first, second = beat.SchedulerLease("host-a pid 1 aaaa"), beat.SchedulerLease("host-b pid 2 bbbb")
    first.hold()
    WorkerHeartbeat.objects.filter(name=beat.LEASE_NAME).update(
        beat_at=timezone.now() - beat.LEASE_TTL - timedelta(seconds=1))  # the first beat died

    with caplog.at_level(logging.WARNING, logger="itsm.beat"):
        assert second.hold() is True

    assert "taken over from host-a pid 1 aaaa" in caplog.text
    first.renewed_at = None  # its next renewal asks the database
    assert first.hold() is False


def test_a_refused_scheduler_runs_nothing_and_says_why(tmp_path, caplog):
    beat.SchedulerLease("host-a pid 1 aaaa").hold()
    scheduler = beat.GuardedScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True)

    with mock.patch.object(PersistentScheduler, "tick") as run_schedule, \
            caplog.at_level(logging.ERROR, logger="itsm.beat"):
        waits = [scheduler.tick(), scheduler.tick()]

    run_schedule.assert_not_called()
    assert waits == [beat.REFUSED_RETRY] * 2
    assert caplog.text.count("another beat holds the scheduler lease (host-a pid 1 aaaa)") == 1  # not per tick


def test_the_scheduler_holding_the_lease_runs_the_schedule(tmp_path):
    scheduler = beat.GuardedScheduler(app=app, schedule_filename=str(tmp_path / "schedule"), lazy=True)

    with mock.patch.object(PersistentScheduler, "tick", return_value=3.0) as run_schedule:
        assert scheduler.tick() == 3.0

    run_schedule.assert_called_once()
    assert WorkerHeartbeat.objects.get(name=beat.LEASE_NAME).hostname == scheduler.lease.owner


def test_the_product_runs_the_guarded_scheduler():
    assert app.conf.beat_scheduler == "itsm.beat:GuardedScheduler"


def test_health_names_the_scheduler_holding_the_lease(client):
    beat.SchedulerLease("host-a pid 1 aaaa").hold()

    scheduler = client.get("/health/").json()["checks"]["scheduler"]

    assert scheduler["ok"] is True and scheduler["owner"] == "host-a pid 1 aaaa"


def test_health_says_when_no_scheduler_runs(client):
    assert client.get("/health/").json()["checks"]["scheduler"] == {"ok": False, "error": "no scheduler running"}
