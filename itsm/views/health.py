"""GET /health/: database, cache, broker, the worker's heartbeat and the scheduler's lease (which
beat holds it: exactly one may run), for probes and operators.

Answers 200 when everything is up, 503 otherwise. It names components and their state,
never connection strings or credentials. It is bounded: the database, the broker and the
cache are checked at the same time, on threads of their own (the broker and the cache with a
connect timeout of CHECK_TIMEOUT), given at most CHECK_DEADLINE in all (a check still running
then counts as down), so a server that does not answer costs the probe well under a second.
The worker's heartbeat and the scheduler's lease are read from the database only once it
answered.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..beat import lease_state
from ..cache import redis_location
from ..celery import app as celery_app
from ..models import WorkerHeartbeat

CHECK_TIMEOUT = 0.5  # seconds to connect to one server
CHECK_DEADLINE = 0.8  # seconds for the network checks together
# Few threads, shared: a server that hangs ties up at most these, and later probes then time out.
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    finally:
        connection.close()  # the check thread's own connection: none is kept between probes


def check_broker() -> dict:
    try:
        with celery_app.connection_for_write(connect_timeout=CHECK_TIMEOUT) as conn:
            conn.ensure_connection(max_retries=0, timeout=CHECK_TIMEOUT)
            return {"ok": True, "transport": conn.transport.driver_type}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def check_cache() -> dict:
    """The Redis cache answers a PING (the cache of each process's memory always does)."""
    location = redis_location()
    if location is None:
        return {"ok": True, "backend": "memory"}
    try:
        client = redis.Redis.from_url(location, socket_connect_timeout=CHECK_TIMEOUT,
                                      socket_timeout=CHECK_TIMEOUT, retry=None)
        try:
            client.ping()
        finally:
            client.close()
        return {"ok": True, "backend": "redis"}
    except Exception as exc:
        return {"ok": False, "backend": "redis", "error": type(exc).__name__}


def check_worker() -> dict:
    try:
        beat = WorkerHeartbeat.objects.filter(name="worker").first()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    if beat is None:
        return {"ok": False, "error": "no heartbeat yet"}
    age = (timezone.now() - beat.beat_at).total_seconds()
    return {"ok": age <= settings.WORKER_HEARTBEAT_MAX_AGE.total_seconds(), "last_heartbeat": beat.beat_at,
            "age_seconds": round(age, 1)}


def check_scheduler() -> dict:
    try:
        return lease_state()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def _concurrent_checks() -> dict:
    # Looked up at call time, so that a test can replace a check.
    futures = {name: _checks.submit(globals()[f"check_{name}"]) for name in ("database", "cache", "broker")}
    deadline = time.monotonic() + CHECK_DEADLINE
    results = {}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            results[name] = {"ok": False, "error": "timeout"}
    return results


@never_cache
@require_safe
def health(request):
    checks = _concurrent_checks()
    if checks["database"]["ok"]:
        checks.update(worker=check_worker(), scheduler=check_scheduler())
    else:
        checks.update(worker={"ok": False, "error": "database unavailable"},
                      scheduler={"ok": False, "error": "database unavailable"})
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks},
                        status=200 if healthy else 503)
