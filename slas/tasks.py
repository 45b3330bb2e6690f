"""Celery tasks of service level management: thin, idempotent, safe to run twice."""

from celery import shared_task

from . import services


# Late acknowledgement and rejection on worker loss: a worker killed mid-batch leaves its
# message to be delivered again, and the unique escalation records make the rerun harmless.
@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_timers() -> dict:
    """Handle every timer whose next check is due, in bounded batches."""
    total = services.SweepResult()
    for _batch in range(20):  # at most 20 batches a run; the next run continues
        result = services.timers_sweep()
        total.checked += result.checked
        total.escalations += result.escalations
        if result.checked < services.SWEEP_BATCH:
            break
    return {"checked": total.checked, "escalations": total.escalations}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def republish_calendars() -> dict:
    """The yearly republication of the calendars' public holidays (run daily; idempotent)."""
    from itsm.services import system_actor

    return {"published": services.calendars_republish(actor=system_actor())}
