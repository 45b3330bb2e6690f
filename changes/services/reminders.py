"""Reminders of changes that need someone: an implementation overdue (its planned window ended
while it was still scheduled or being implemented) and a review due (implemented more than
CHANGE_REVIEW_DUE_DAYS ago and not yet reviewed). Each is sent once per change and reason: the
journal entry that records it is also the marker (its `data.reminder`)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.choices import JournalKind
from itsm.events import emit
from itsm.journal import journal_add
from itsm.models import JournalEntry
from itsm.services import system_actor

from ..choices import ChangeState
from ..models import Change

OVERDUE, REVIEW_DUE = "implementation_overdue", "review_due"


def reminders_send(now=None) -> int:
    """Write the reminders due at `now`; returns how many (a second run at once writes none)."""
    now = now or timezone.now()
    overdue = Change.objects.filter(state__in=(ChangeState.SCHEDULED, ChangeState.IMPLEMENTATION),
                                    planned_end__lt=now)
    review = Change.objects.filter(state=ChangeState.REVIEW,
                                   actual_end__lt=now - timedelta(days=settings.CHANGE_REVIEW_DUE_DAYS))
    return _remind(overdue, OVERDUE) + _remind(review, REVIEW_DUE)


def _remind(changes, reason: str) -> int:
    content_type = ContentType.objects.get_for_model(Change)
    done = set(JournalEntry.objects.filter(content_type=content_type, kind=JournalKind.SYSTEM,
                                           data__reminder=reason).values_list("object_id", flat=True))
    sent = 0
    for change in changes.exclude(pk__in=done).order_by("pk").iterator(chunk_size=200):
        with transaction.atomic():
            journal_add(record=change, actor=system_actor(), kind=JournalKind.SYSTEM, body=_text(change, reason),
                        data={"reminder": reason})
            emit(f"change.{reason}", record=change, actor=system_actor(), payload={"reminder": reason})
        sent += 1
    return sent


def _text(change: Change, reason: str) -> str:
    if reason == OVERDUE:
        return _("Implementation overdue: the planned window ended at %(end)s.") % {
            "end": timezone.localtime(change.planned_end).strftime("%Y-%m-%d %H:%M")}
    return _("Post-implementation review due: implemented on %(end)s.") % {
        "end": timezone.localtime(change.actual_end).strftime("%Y-%m-%d %H:%M")}
