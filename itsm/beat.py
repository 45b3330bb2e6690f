"""Exactly one Celery beat: the running beat holds a lease in the database, and a second beat
started by mistake (another host, the same schedule file) refuses to publish anything.

`GuardedScheduler` (settings' CELERY_BEAT_SCHEDULER) takes the lease before each tick and
renews it every LEASE_RENEW seconds while it runs. A lease not renewed for LEASE_TTL seconds
(its beat died or lost the database) may be taken by another beat, which then runs the
schedule; a beat that finds the lease held by another does nothing but log it (once a minute)
and try again. `/health/` names the holder (`scheduler` check). Each periodic task is still
safe to run twice (CONTRIBUTING.md): the lease keeps them from running twice as a habit.

The lease is the `WorkerHeartbeat` row named "scheduler" (its `hostname` holds the owner: host,
process id and a random tag; `beat_at` the last renewal).
"""

import logging
import os
import socket
import time
import uuid
from datetime import timedelta

from celery.beat import PersistentScheduler
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from .models import WorkerHeartbeat

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_TTL = timedelta(seconds=60)
LEASE_RENEW = 10.0  # seconds between renewals while holding it
REFUSED_RETRY = 5.0  # seconds a refused beat waits before asking again
REFUSAL_LOG_EVERY = 60.0  # seconds between two log lines of a refused beat


def owner_id() -> str:
    return f"{socket.gethostname()} pid {os.getpid()} {uuid.uuid4().hex[:8]}"


class SchedulerLease:
    def __init__(self, owner: str | None = None):
        self.owner = owner or owner_id()
        self.holder = None  # the owner found holding it, when refused
        self.renewed_at = None  # time.monotonic() of the last renewal, while held

    def hold(self) -> bool:
        """Whether this beat holds the lease (taking or renewing it in the database if due)."""
        if self.renewed_at is not None and time.monotonic() - self.renewed_at < LEASE_RENEW:
            return True
        if not connection.in_atomic_block:
            close_old_connections()  # beat is a long-lived process: drop a connection gone stale
        try:
            held = self._take_or_renew()
        except DatabaseError as exc:
            log.warning("scheduler lease: database unavailable (%s); not running the schedule", type(exc).__name__)
            held = False
        self.renewed_at = time.monotonic() if held else None
        return held

    def _take_or_renew(self) -> bool:
        now = timezone.now()
        with transaction.atomic():
            lease = WorkerHeartbeat.objects.select_for_update().filter(name=LEASE_NAME).first()
            if lease is None:
                try:
                    with transaction.atomic():
                        WorkerHeartbeat.objects.create(name=LEASE_NAME, beat_at=now, hostname=self.owner)
                except IntegrityError:  # another beat created it at the same moment
                    return False
                return True
            if lease.hostname != self.owner and now - lease.beat_at <= LEASE_TTL:
                self.holder = lease.hostname
                return False
            if lease.hostname != self.owner:
                log.warning("scheduler lease taken over from %s (not renewed since %s)", lease.hostname, lease.beat_at)
            lease.hostname, lease.beat_at = self.owner, now
            lease.save(update_fields=["hostname", "beat_at"])
            return True

    def release(self) -> None:
        try:
            WorkerHeartbeat.objects.filter(name=LEASE_NAME, hostname=self.owner).delete()
        except DatabaseError:
            pass
        self.renewed_at = None


def lease_state() -> dict:
    """For /health/: who holds the lease and whether it is fresh."""
    lease = WorkerHeartbeat.objects.filter(name=LEASE_NAME).first()
    if lease is None:
        return {"ok": False, "error": "no scheduler running"}
    age = (timezone.now() - lease.beat_at).total_seconds()
    return {"ok": age <= LEASE_TTL.total_seconds(), "owner": lease.hostname, "age_seconds": round(age, 1)}


class GuardedScheduler(PersistentScheduler):
    """Celery beat's scheduler, running the schedule only while it holds the lease."""

    def __init__(self, *args, **kwargs):
        self.lease = SchedulerLease()
        self._refusal_logged_at = None
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        if not self.lease.hold():
            now = time.monotonic()
            if self._refusal_logged_at is None or now - self._refusal_logged_at >= REFUSAL_LOG_EVERY:
                self._refusal_logged_at = now
                log.error("another beat holds the scheduler lease (%s): this beat (%s) runs nothing. "
                          "Run exactly one beat (docs/operations.md).",
                          self.lease.holder, self.lease.owner)
            return REFUSED_RETRY
        self._refusal_logged_at = None
        return min(super().tick(*args, **kwargs), LEASE_RENEW)

    def close(self):
        super().close()
        self.lease.release()
