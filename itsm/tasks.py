"""Kernel tasks. Each takes ids, calls one function, and is safe to run twice."""

import socket

from celery import shared_task
from django.utils import timezone

from . import outbox
from .models import IdempotencyKey, WorkerHeartbeat


@shared_task(acks_late=True)
def deliver_outbox_message(message_id: int) -> str:
    return outbox.deliver(message_id)


@shared_task
def sweep_outbox() -> int:
    return outbox.sweep()


@shared_task
def record_heartbeat() -> None:
    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"beat_at": timezone.now(), "hostname": socket.gethostname()}
    )


@shared_task
def purge_idempotency_keys() -> int:
    from django.conf import settings

    deleted, _ = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - settings.IDEMPOTENCY_KEY_TTL
    ).delete()
    return deleted
