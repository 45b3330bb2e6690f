"""Which target applies to a record: chosen among the current targets, read through a
per-process copy that a generation stamp in the database keeps current."""

import copy

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from itsm.generations import GenerationCache

from ..models import CalendarVersion, Target
from ..registry import Facts


def select_targets(record_type: str, facts: Facts, *, on_date=None) -> dict[str, Target]:
    """The target that applies for each metric, chosen deterministically among the current
    targets of active agreements valid on the record's opening date whose conditions match:
    1. an agreement of the record's customer before a provider-wide one (no customer);
    2. a target naming the service before one for any service;
    3. a target naming priorities before one for any priority;
    4. the shortest goal (the strictest promise);
    5. the oldest target (lowest id).
    The current targets come from a per-process copy that one cheap statement checks against
    the database each time (see `TARGETS`); each carries `calendar_version_now`, the
    current version of its calendar (None if it has none)."""
    on_date = on_date or timezone.localdate(facts.opened_at)
    chosen: dict[str, Target] = {}
    for target, services in _current_targets(record_type):
        agreement = target.agreement
        if not agreement.is_active or agreement.valid_from > on_date or (
                agreement.valid_to is not None and agreement.valid_to < on_date):
            continue
        if agreement.customer_id is not None and agreement.customer_id != facts.customer_id:
            continue
        if target.service_id is not None and target.service_id != facts.service_id:
            continue
        if services and facts.service_id not in services:
            continue
        if target.priorities and facts.priority not in target.priorities:
            continue
        current = chosen.get(target.metric)
        if current is None or _precedence(target) < _precedence(current):
            chosen[target.metric] = target
    # Copies: callers hold the target on their timers; the process-wide ones stay untouched.
    return {metric: copy.copy(target) for metric, target in chosen.items()}


# The current targets per record type, copied per process: [(target with agreement, calendar and
# `calendar_version_now`, {service ids of its agreement})]. Every service that writes what the
# copy holds (targets, agreements and their services, calendar versions) calls
# `_targets_changed()` in its transaction; a write that bypasses these services (a data
# migration, the shell) must call it too, or processes keep choosing from their old copy.
TARGETS = GenerationCache("slas.targets")


def _targets_changed() -> None:
    TARGETS.bump()


def _current_targets(record_type: str) -> list[tuple[Target, set]]:
    """The current targets of `record_type` with their agreements, read once per process and
    again after each `_targets_changed()` (one statement checks, see itsm.generations)."""
    return TARGETS.get(record_type, read=lambda: _read_targets(record_type))


def _read_targets(record_type: str) -> list[tuple[Target, set]]:
    rows = [(target, {s.pk for s in target.agreement.services.all()}) for target in
            Target.objects.filter(is_current=True, record_type=record_type)
            .select_related("agreement", "calendar").prefetch_related("agreement__services").order_by("pk")]
    if rows:
        latest = CalendarVersion.objects.filter(calendar=OuterRef("calendar")).order_by("-number").values("number")[:1]
        versions = {v.calendar_id: v for v in CalendarVersion.objects.filter(
            calendar__in={target.calendar_id for target, _services in rows}, number=Subquery(latest))}
        for target, _services in rows:
            target.calendar_version_now = versions.get(target.calendar_id)
    return rows


def _precedence(target: Target) -> tuple:
    return (target.agreement.customer_id is None, target.service_id is None, not target.priorities, target.goal,
            target.pk)


def select_target(record_type: str, facts: Facts, metric: str, *, on_date=None) -> Target | None:
    return select_targets(record_type, facts, on_date=on_date).get(metric)
