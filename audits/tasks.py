"""Periodic work of the trail: each task calls one service and is safe to run twice."""

from celery import shared_task

from . import services


@shared_task
def seal_trail() -> int:
    return services.trail_seal()


@shared_task
def record_anchor() -> dict:
    return services.anchor_record().as_dict()
