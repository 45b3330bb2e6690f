"""Celery tasks of change management: take ids or nothing, call one service, safe to run twice.
(The services named are their slices'.)"""

from celery import shared_task


@shared_task(acks_late=True)
def recheck_conflicts() -> int:
    """Re-check the conflicts of every scheduled change (a new change, window or CMDB link since
    it was scheduled); new conflicts are flagged and notified. Returns the changes with new ones."""
    from .services.conflicts import conflicts_recheck_scheduled

    return conflicts_recheck_scheduled()


@shared_task(acks_late=True)
def detect_unauthorised() -> int:
    """Read the CMDB history written since the last run for CI changes no change covered.
    Returns the exceptions found."""
    from .services.unauthorised import unauthorised_detect

    return unauthorised_detect()


@shared_task(acks_late=True)
def send_reminders() -> int:
    """Implementation overdue (past its planned end) and review due: tell the people concerned,
    once per change and reason. Returns the reminders written."""
    from .services.reminders import reminders_send

    return reminders_send()
