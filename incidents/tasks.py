"""Celery tasks of incident management: take ids or nothing, call one service, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def close_resolved_incidents() -> int:
    """Close incidents whose resolution is older than INCIDENT_AUTO_CLOSE_DAYS (one batch)."""
    return services.close_resolved_incidents()
