"""SLA timers in the auditors' evidence bundles (itsm.evidence): the timers started in the period,
with the inputs that produced each clock: its events, and the target and calendar versions it
was computed with (rows never edited: a change makes a new version). Every cycle of a key and
every assignment group's operational level timer is a timer of its own, with its `kind`,
`ola_team`, `cycle`, `is_current` and `counts` (whether it counts in attainment)."""

from django.db.models import Subquery
from django.utils.translation import gettext_lazy as _

from itsm.evidence import EvidenceSource, in_period, register

from .models import CalendarVersion, Target, Timer, TimerEvent

CHUNK = 2000


def timers_of(period, scope):
    timers = in_period(Timer.objects.order_by("pk"), "started_at", period)
    if scope.customers:
        timers = timers.filter(customer_id__in=scope.customers)
    if scope.services:
        timers = timers.filter(service_id_snapshot__in=scope.services)
    return timers


def _rows(queryset):
    return queryset.values().iterator(chunk_size=CHUNK)


def inputs_of(period, scope):
    timers = timers_of(period, scope)
    yield "timer-events.jsonl", _rows(TimerEvent.objects.filter(timer_id__in=Subquery(timers.values("pk")))
                                      .order_by("timer_id", "at", "id"))
    yield "target-versions.jsonl", _rows(Target.objects.filter(pk__in=Subquery(timers.values("target_id")))
                                         .order_by("pk"))
    yield "calendar-versions.jsonl", _rows(CalendarVersion.objects.filter(
        pk__in=Subquery(timers.values("calendar_version_id"))).order_by("pk"))


register(EvidenceSource("sla-timers", _("SLA timers"), records=timers_of, files=inputs_of, order=30, sampled=False))
