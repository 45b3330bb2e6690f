"""Which target applies to a record: chosen among the current targets, read through a
per-process copy that a generation stamp in the database keeps current."""

import copy

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from itsm.generations import GenerationCache

from ..choices import TargetKind
from ..models import CalendarVersion, Target
from ..registry import Facts


def select_targets(record_type: str, facts: Facts, *, on_date=None, kind: str = TargetKind.SLA) -> dict[str, Target]:
    """The target of `kind` that applies for each metric (see `select_targets_by_kind`)."""
    return select_targets_by_kind(record_type, facts, on_date=on_date)[kind]


def select_targets_by_kind(record_type: str, facts: Facts, *, on_date=None) -> dict[str, dict[str, Target]]:
    """{kind: {metric: target}}: the target of each kind that applies for each metric, chosen
    deterministically among the current targets of active agreements valid on the record's
    opening date whose conditions match:
    1. an agreement of the record's customer before a provider-wide one (no customer);
    2. a target naming the service before one for any service;
    3. a target naming priorities before one for any priority;
    4. (operational level) a target naming the group before one for every group;
    5. the shortest goal (the strictest promise);
    6. the oldest target (lowest id).
    Service level targets ("sla") time the customer's promise; operational level ones ("ola")
    the group that holds the record now (`facts.team_id`): none without one.
    The current targets come from a per-process copy that one cheap statement checks against
    the database (once per call: see `TARGETS`); each carries `calendar_version_now`, the
    current version of its calendar (None if it has none)."""
    on_date = on_date or timezone.localdate(facts.opened_at)
    chosen: dict[str, dict[str, Target]] = {kind: {} for kind in TargetKind.values}
    for target, services in _current_targets(record_type):
        if target.kind == TargetKind.OLA and (facts.team_id is None or (
                target.team_id is not None and target.team_id != facts.team_id)):
            continue
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
        of_kind = chosen[target.kind]
        current = of_kind.get(target.metric)
        if current is None or _precedence(target) < _precedence(current):
            of_kind[target.metric] = target
    # Copies: callers hold the target on their timers; the process-wide ones stay untouched.
    return {kind: {metric: copy.copy(target) for metric, target in of_kind.items()}
            for kind, of_kind in chosen.items()}


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
    return (target.agreement.customer_id is None, target.service_id is None, not target.priorities,
            target.team_id is None, target.goal, target.pk)


def select_target(record_type: str, facts: Facts, metric: str, *, on_date=None,
                  kind: str = TargetKind.SLA) -> Target | None:
    return select_targets(record_type, facts, on_date=on_date, kind=kind).get(metric)
