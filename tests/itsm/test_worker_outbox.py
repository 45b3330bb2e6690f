"""The outbox and the heartbeat with real parts: a Celery worker process, the configured broker
(filesystem or Redis) and database (SQLite file or PostgreSQL), emails written to files."""

import logging
import socket
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from itsm import outbox
from itsm.beat import SchedulerLease
from itsm.celery import app as celery_app
from itsm.choices import OutboxStatus
from itsm.models import OutboxMessage, WorkerHeartbeat
from itsm.tasks import deliver_outbox_message
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import Ticket

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DELIVER = deliver_outbox_message.name
EMAIL = {"to": ["caller@example.com"], "subject": "Your ticket", "body": "It is resolved."}


def addressed(emails):
    return [(message["To"], message["Subject"]) for message in emails]


def test_a_message_written_in_a_committed_transaction_is_delivered_once_by_the_worker(live_worker):
    # when a message is written in a transaction that commits
    with transaction.atomic():
        message = outbox.outbox_enqueue("email", EMAIL)

    # then the worker, handed the message by the after-commit publish, sends it once
    assert live_worker.wait_for_tasks(DELIVER, 1) == ["'delivered'"]
    emails = live_worker.sent_emails()
    assert addressed(emails) == [("caller@example.com", "Your ticket")], live_worker.failure("emails")
    assert emails[0].get_payload().strip() == "It is resolved."
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.DELIVERED, 1, "")
    assert message.delivered_at is not None


def test_a_broker_outage_at_write_time_loses_nothing(live_worker, broker_unreachable, make_user, caplog):
    agent = make_user("agent")
    # given the broker cannot be reached when a ticket and its notification are written
    with broker_unreachable(), caplog.at_level(logging.WARNING, logger="itsm.breaker"), transaction.atomic():
        ticket = make_ticket(agent, title="Mail server down")
        message = outbox.outbox_enqueue(
            "email", {"to": ["caller@example.com"], "subject": f"{ticket.number} logged", "body": "We are on it."}
        )

    # then the ticket is committed, and its message waits in the outbox, not lost
    assert Ticket.objects.filter(pk=ticket.pk, title="Mail server down").exists()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
    assert "broker redis://127.0.0.1:1/0 unavailable" in caplog.text  # the publish really failed

    # when the broker is back and the sweep runs once the message is due
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert outbox.sweep() == 1

    # then the worker delivers it, once
    assert live_worker.wait_for_tasks(DELIVER, 1) == ["'delivered'"]
    assert addressed(live_worker.sent_emails()) == [("caller@example.com", f"{ticket.number} logged")]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 1)


def test_redelivered_copies_of_a_message_send_nothing_twice(live_worker):
    # given a committed message, published once after commit ...
    with transaction.atomic():
        message = outbox.outbox_enqueue("email", EMAIL)
    # ... when the broker hands the worker two more copies at the same time (its two
    # processes take them in parallel), and one more after it has been delivered
    deliver_outbox_message.delay(message.pk)
    deliver_outbox_message.delay(message.pk)
    assert sorted(live_worker.wait_for_tasks(DELIVER, 3)) == ["'delivered'", "'skipped'", "'skipped'"]
    deliver_outbox_message.delay(message.pk)

    # then exactly one email was sent
    assert sorted(live_worker.wait_for_tasks(DELIVER, 4)) == ["'delivered'", "'skipped'", "'skipped'", "'skipped'"]
    assert addressed(live_worker.sent_emails()) == [("caller@example.com", "Your ticket")]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 1)


def test_the_heartbeat_that_beat_schedules_run_by_the_worker_makes_health_report_it_up(live_worker, client):
    # given no heartbeat yet: health reports the worker down
    before = client.get("/health/")
    assert before.status_code == 503
    assert before.json()["checks"]["worker"] == {"ok": False, "error": "no heartbeat yet"}

    # when the heartbeat is sent as beat sends it (by the task name in the schedule), beat
    # holding the scheduler lease
    SchedulerLease().hold()
    task_name = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]["task"]
    sent_at = timezone.now()
    celery_app.send_task(task_name)

    # then the worker records it and health reports everything up
    assert live_worker.wait_for_tasks(task_name, 1) == ["None"]
    heartbeat = WorkerHeartbeat.objects.get(name="worker")
    assert sent_at <= heartbeat.beat_at <= timezone.now()
    assert heartbeat.hostname == socket.gethostname()
    after = client.get("/health/")
    assert after.status_code == 200, after.json()
    body = after.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True, "cache": True, "broker": True, "worker": True, "scheduler": True,
    }
