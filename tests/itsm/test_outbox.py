from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from itsm import outbox
from itsm.choices import OutboxStatus
from itsm.models import OutboxMessage

pytestmark = pytest.mark.django_db

EMAIL = {"to": ["caller@example.com"], "subject": "Your ticket", "body": "It is resolved."}


def enqueue(payload=EMAIL):
    with transaction.atomic():
        return outbox.outbox_enqueue("email", payload)


def test_a_message_is_published_after_commit_and_delivered_once(django_capture_on_commit_callbacks):
    with mock.patch("itsm.tasks.deliver_outbox_message.apply_async") as publish:
        with django_capture_on_commit_callbacks(execute=True):
            message = enqueue()
    publish.assert_called_once_with((message.pk,), retry=False)

    assert outbox.deliver(message.pk) == "delivered"
    assert outbox.deliver(message.pk) == "skipped"  # a redelivery of the same task

    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "Your ticket"
    message.refresh_from_db()
    assert message.status == OutboxStatus.DELIVERED and message.attempts == 1


def test_a_broker_outage_at_write_time_loses_nothing(django_capture_on_commit_callbacks):
    with mock.patch("itsm.tasks.deliver_outbox_message.apply_async", side_effect=OperationalError("broker down")):
        with django_capture_on_commit_callbacks(execute=True):
            message = enqueue()
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING

    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    with mock.patch("itsm.tasks.deliver_outbox_message.apply_async") as publish:
        assert outbox.sweep() == 1
    publish.assert_called_once_with((message.pk,), retry=False)


def test_the_sweep_leaves_messages_that_are_not_due_and_leases_the_ones_it_publishes():
    message = enqueue()  # within its publish grace period
    with mock.patch("itsm.tasks.deliver_outbox_message.apply_async") as publish:
        assert outbox.sweep() == 0
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        assert outbox.sweep() == 1
        assert outbox.sweep() == 0  # leased: not published again at once
    assert publish.call_count == 1


def test_a_failing_delivery_is_retried_with_backoff_then_given_up(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    message = enqueue()
    with mock.patch("itsm.outbox.send_mail", side_effect=ConnectionRefusedError("smtp down")):
        assert outbox.deliver(message.pk) == "failed"
        message.refresh_from_db()
        assert message.status == OutboxStatus.PENDING and message.attempts == 1
        assert message.next_attempt_at > timezone.now() + timedelta(seconds=20)
        assert "smtp down" in message.last_error
        assert outbox.deliver(message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == OutboxStatus.FAILED and message.attempts == 2
    assert mail.outbox == []


def test_backoff_grows_and_is_capped():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 20)] == [30, 60, 120, 3600]


def test_an_unknown_topic_is_refused_at_write_time():
    with pytest.raises(ValueError, match="no deliverer"):
        outbox.outbox_enqueue("carrier-pigeon", {})


def test_withheld_messages_are_never_queued_nor_sent(django_capture_on_commit_callbacks):
    before = enqueue()
    with mock.patch("itsm.tasks.deliver_outbox_message.apply_async") as publish:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            with outbox.withheld("demo history"):
                history = [outbox.outbox_enqueue("email", EMAIL) for _ in range(3)]
            after = outbox.outbox_enqueue("email", EMAIL)

    publish.assert_called_once_with((after.pk,), retry=False)  # written after the block: sent as usual
    assert outbox.deliver(history[0].pk) == "skipped"
    assert len(mail.outbox) == 0
    assert set(OutboxMessage.objects.filter(pk__in=[m.pk for m in history]).values_list("status", "last_error")) == {
        (OutboxStatus.WITHHELD, "demo history")}
    before.refresh_from_db()
    assert before.status == OutboxStatus.PENDING  # written before: still to be sent


def test_the_withheld_block_ends_even_when_it_raises():
    with pytest.raises(RuntimeError), outbox.withheld("demo history"):
        raise RuntimeError("the demo failed")

    assert enqueue().status == OutboxStatus.PENDING


def test_a_message_is_queued_after_commit_without_asking_the_database_again(
        django_capture_on_commit_callbacks, django_assert_num_queries):
    # The message just committed is pending, so its publish need not check (the worker's
    # delivery skips a message that is not pending anyway).
    with mock.patch("itsm.tasks.deliver_outbox_message.apply_async") as publish:
        with django_assert_num_queries(1), django_capture_on_commit_callbacks(execute=True):
            message = outbox.outbox_enqueue("email", EMAIL)

    publish.assert_called_once_with((message.pk,), retry=False)


# --- A broker outage never makes a request wait (issue 16, defect 3) ----------------------------

def test_a_failed_publish_opens_the_breaker_so_later_messages_are_left_to_the_sweep_untried(
        django_capture_on_commit_callbacks):
    with mock.patch("itsm.tasks.deliver_outbox_message.apply_async",
                    side_effect=OperationalError("broker down")) as publish:
        with django_capture_on_commit_callbacks(execute=True):
            first = enqueue()
        with django_capture_on_commit_callbacks(execute=True):
            later = [enqueue() for _ in range(3)]

    # only the first message tried the broker, once and without retrying
    publish.assert_called_once_with((first.pk,), retry=False)
    assert outbox.broker_breaker().is_open
    # every message waits in the outbox, due at once for the sweep (not after the publish grace)
    rows = OutboxMessage.objects.filter(pk__in=[first.pk, *(m.pk for m in later)])
    assert {(row.status, row.attempts) for row in rows} == {(OutboxStatus.PENDING, 0)}
    assert all(row.next_attempt_at <= timezone.now() for row in rows)

    # when the broker is back, the sweep (which always tries) publishes them all and closes it
    with mock.patch("itsm.tasks.deliver_outbox_message.apply_async") as publish:
        assert outbox.sweep() == 4
    assert publish.call_count == 4
    assert not outbox.broker_breaker().is_open


def test_a_publish_to_an_unreachable_broker_connects_once_and_then_not_at_all(
        broker_unreachable, django_capture_on_commit_callbacks):
    from redis.connection import Connection

    from itsm.celery import app

    # Connection._connect opens the TCP socket: one call per connection attempt.
    connects = mock.patch.object(Connection, "_connect", autospec=True, side_effect=Connection._connect)
    transport = app.conf.broker_transport
    app.conf.broker_transport = None  # the embedded default's names the filesystem one: use Redis's
    try:
        with broker_unreachable(), connects as connect:  # a Redis broker with the product's options
            with django_capture_on_commit_callbacks(execute=True):
                first = enqueue()
            tried = connect.call_count
            with django_capture_on_commit_callbacks(execute=True):
                enqueue()
            assert connect.call_count == tried  # the breaker is open: no connection attempt at all
    finally:
        app.conf.broker_transport = transport

    assert tried == 1  # one attempt: no publish retry, no reconnection loop in the request
    first.refresh_from_db()
    assert first.status == OutboxStatus.PENDING


def test_the_product_never_retries_a_publish(settings):
    from itsm.celery import app

    assert app.conf.task_publish_retry is False
    assert settings.BROKER_FAIL_FAST["max_retries"] == 0
    assert settings.CELERY_BROKER_CONNECTION_TIMEOUT <= 1


def test_only_the_outbox_publishes_tasks():
    """Every task a request causes goes through the outbox's publish (one try, the breaker):
    no module calls delay/apply_async/send_task itself."""
    import re
    from pathlib import Path

    from django.conf import settings as django_settings

    publishing = re.compile(r"\.(delay|apply_async|send_task)\(")
    offenders = []
    for app_dir in ("itsm", "config_items", "slas", "incidents", "problems", "changes", "releases", "audits"):
        for path in (Path(django_settings.BASE_DIR) / app_dir).rglob("*.py"):
            if path.name == "outbox.py" and app_dir == "itsm":
                continue
            if publishing.search(path.read_text()):
                offenders.append(str(path.relative_to(django_settings.BASE_DIR)))
    assert offenders == []
