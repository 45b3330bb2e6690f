"""Celery tasks of problem management: take ids or nothing, call one service, safe to run twice."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def detect_trends() -> int:
    """Propose recurring incidents as candidate problems (hourly on the beat; a run that finds
    the same groups as the last one writes nothing). Returns the proposals created or refreshed."""
    return len(services.trend_detect())
