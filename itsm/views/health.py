"""GET /health/: database, broker and the worker's heartbeat, for probes and operators.

Answers 200 when everything is up, 503 otherwise. It names components and their state,
never connection strings or credentials.
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..celery import app as celery_app
from ..models import WorkerHeartbeat


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def check_broker() -> dict:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return {"ok": True, "transport": conn.transport.driver_type}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


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


@never_cache
@require_safe
def health(request):
    checks = {"database": check_database(), "broker": check_broker(), "worker": check_worker()}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks},
                        status=200 if healthy else 503)
