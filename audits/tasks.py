"""Periodic work of the trail: each task calls one service and is safe to run twice."""

from celery import shared_task

from . import bundles, services


@shared_task
def seal_trail() -> int:
    return services.trail_seal()


@shared_task
def record_anchor() -> dict:
    return services.anchor_record().as_dict()


@shared_task
def resume_bundles() -> int:
    return bundles.bundles_resume()
