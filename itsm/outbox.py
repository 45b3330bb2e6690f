"""Outbox: messages written in the caller's transaction, delivered by Celery afterwards.

Delivery is at most once per message: the worker locks the row, skips it if it is no longer
pending, and marks it delivered in the same transaction as the send. A broker outage at
write time loses nothing: the row stays pending and the periodic sweep publishes it again.

A request never waits on the broker: a publish is tried once (no retry, a short connect
timeout: settings' BROKER_FAIL_FAST), and once one failed the broker's breaker
(`itsm.breaker`) stays open for BROKER_OPEN_SECONDS: messages written meanwhile are not
published from requests at all but left, due at once, to the sweep (every 15 s). The sweep
itself always tries (it runs in a worker, off any request).
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .breaker import CircuitBreaker, breaker
from .celery import app as celery_app
from .choices import OutboxStatus
from .models import OutboxMessage

log = logging.getLogger(__name__)

_deliverers: dict[str, Callable[[dict], None]] = {}

# A message published by a sweep is not published again for this long, so a slow worker
# is not flooded with copies (copies would be harmless, only wasteful).
SWEEP_LEASE = timedelta(minutes=2)
# A new message is left to its after-commit publish for this long before a sweep takes it.
PUBLISH_GRACE = timedelta(seconds=30)
# The task that delivers one message, named rather than imported: `itsm.tasks` imports this
# module (its tasks call `deliver` and `sweep`), and the kernel's ready() imports `itsm.tasks`,
# so the task is registered in every process that writes messages.
DELIVER_TASK = "itsm.tasks.deliver_outbox_message"
# Seconds after a failed publish during which requests leave their messages to the sweep.
BROKER_OPEN_SECONDS = 30
# The reason messages are withheld for, inside a `withheld()` block (None outside one). A
# context variable, not a module flag: it ends with the block, in this thread or task only.
_withholding: ContextVar[str | None] = ContextVar("outbox_withholding", default=None)


def deliverer(topic: str):
    """Register the function that delivers messages of `topic` (it receives the payload)."""

    def register(func):
        _deliverers[topic] = func
        return func

    return register


def outbox_enqueue(topic: str, payload: dict, *, event=None) -> OutboxMessage:
    """Write a message in the current transaction; publish it to the broker after commit.
    Inside a `withheld()` block the message is written as withheld instead: never sent."""
    if topic not in _deliverers:
        raise ValueError(f"no deliverer registered for outbox topic {topic!r}")
    reason = _withholding.get()
    if reason is not None:
        return OutboxMessage.objects.create(
            topic=topic, payload=payload, event=event, status=OutboxStatus.WITHHELD, last_error=reason,
            next_attempt_at=timezone.now())
    if broker_breaker().is_open:  # the broker failed just now: the sweep's next run takes it
        broker_breaker().skipped += 1
        return OutboxMessage.objects.create(topic=topic, payload=payload, event=event, next_attempt_at=timezone.now())
    message = OutboxMessage.objects.create(
        topic=topic, payload=payload, event=event, next_attempt_at=timezone.now() + PUBLISH_GRACE
    )
    # Just committed, so pending: no need to ask the database again (the worker's delivery
    # skips a message that is not pending anyway).
    transaction.on_commit(lambda: publish(message.pk, check=False, from_request=True))
    return message


def broker_breaker() -> CircuitBreaker:
    """This process's breaker of the broker it publishes to."""
    conf = celery_app.conf
    return breaker("broker", str(conf.broker_write_url or conf.broker_url), BROKER_OPEN_SECONDS)


def publish(message_id: int, *, check: bool = True, from_request: bool = False) -> bool:
    """Hand a message to the broker if it is still pending (with `check`, else the worker's
    delivery skips it if not), trying once. On failure it stays pending for the sweep.
    `from_request`: not even tried while the broker's breaker is open; a message not published
    is made due at once, so the sweep's next run takes it."""
    if check and not OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.PENDING).exists():
        return False  # withheld or already delivered: no task to queue
    circuit = broker_breaker()
    if from_request and not circuit.allows():
        _due_now(message_id)
        return False
    try:
        celery_app.tasks[DELIVER_TASK].apply_async((message_id,), retry=False)
    except Exception as exc:  # broker down: the sweep will publish it later
        circuit.failed(exc)  # logs once per outage, not once per message
        if from_request:
            _due_now(message_id)
        return False
    circuit.succeeded()
    return True


def _due_now(message_id: int) -> None:
    OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.PENDING).update(next_attempt_at=timezone.now())


@contextmanager
def withheld(reason: str) -> Iterator[None]:
    """Messages written inside the block are stored as withheld (never published nor sent),
    with `reason` as their last error: e.g. the notifications of demo history. Only the
    current thread (or asyncio task) is affected, and only until the block ends."""
    token = _withholding.set(reason[:500])
    try:
        yield
    finally:
        _withholding.reset(token)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def deliver(message_id: int) -> str:
    """Deliver one message if it is still pending; return what happened."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxStatus.PENDING)
            .first()
        )
        if message is None:
            return "skipped"
        try:
            with transaction.atomic():
                _deliverers[message.topic](message.payload)
        except Exception as exc:
            _record_failure(message, exc)
            return "failed"
        message.status = OutboxStatus.DELIVERED
        message.attempts += 1
        message.delivered_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["status", "attempts", "delivered_at", "last_error"])
    return "delivered"


def _record_failure(message: OutboxMessage, exc: Exception) -> None:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
        log.error("outbox message %s failed for good: %s", message.pk, message.last_error)
    else:
        message.next_attempt_at = timezone.now() + backoff(message.attempts)
        log.warning("outbox message %s failed (attempt %s): %s", message.pk, message.attempts, message.last_error)
    message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])


def sweep(batch_size: int = 500) -> int:
    """Publish pending messages that are due (new ones whose publish failed, and retries)."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        OutboxMessage.objects.filter(pk__in=due).update(next_attempt_at=now + SWEEP_LEASE)
    published = sum(publish(pk) for pk in due)
    return published


@deliverer("email")
def deliver_email(payload: dict) -> None:
    """payload: {"to": [addresses], "subject": str, "body": str}"""
    send_mail(
        subject=payload["subject"], message=payload["body"],
        from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=payload["to"], fail_silently=False,
    )
