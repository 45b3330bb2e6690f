"""Agreements and their targets (a target is versioned: a change writes its next version),
and the record of a service-level report generated from an agreement."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from itsm.permissions import ADMIN_ROLES, STAFF_ROLES, require
from itsm.records import check_version, save_with_history, versioned_save
from itsm.validation import apply_fields, refuse_unknown

from ..choices import BREACH, DEFAULT_THRESHOLDS, ActionKind, CycleCounting, GoalKind, Metric, Restart, TargetKind
from ..models import Agreement, Target
from ..registry import subject_named, subjects
from .targets import _targets_changed

AGREEMENT_FIELDS = ("name", "customer", "services", "valid_from", "valid_to", "description", "is_active")
# A relative goal falls due on at most this business day after the start (slas.goals).
MAX_GOAL_DAYS = 30
TARGET_FIELDS = ("agreement", "name", "kind", "team", "metric", "record_type", "priorities", "service", "goal",
                 "goal_kind", "goal_days", "goal_time", "calendar", "pause_states", "escalations", "restart",
                 "cycle_counting")


@transaction.atomic
def agreement_create(*, actor, data: dict) -> Agreement:
    """Create an agreement. Administrators only. Side effects: history."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, AGREEMENT_FIELDS)
    data = dict(data)
    services = data.pop("services", None)
    agreement = Agreement(**data)
    _check_validity(agreement)
    agreement.full_clean()
    save_with_history(agreement, actor=actor, reason="created")
    if services:
        agreement.services.set(services)
    _targets_changed()
    return agreement


@transaction.atomic
def agreement_update(*, actor, agreement: Agreement, data: dict, expected_version: int | None = None) -> Agreement:
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, AGREEMENT_FIELDS)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    check_version(agreement, expected_version)
    data = dict(data)
    services = data.pop("services", None)
    apply_fields(agreement, data, AGREEMENT_FIELDS)
    _check_validity(agreement)
    versioned_save(agreement, actor=actor, reason="updated")
    if services is not None:
        agreement.services.set(services)
    _targets_changed()
    return agreement


def _check_validity(agreement: Agreement) -> None:
    if agreement.valid_to and agreement.valid_from and agreement.valid_to < agreement.valid_from:
        raise ValidationError({"valid_to": _("The agreement ends before it starts.")})


def clean_escalations(steps) -> list[dict]:
    """[{"percent": 50, "actions": [{"kind": "notify_assignee"}, ...]}, ...], 1–100 %, each once."""
    if not isinstance(steps, list):
        raise ValidationError({"escalations": _("Give a list of thresholds.")})
    cleaned, seen = [], set()
    for step in steps:
        try:
            percent = int(step["percent"])
        except (KeyError, TypeError, ValueError):
            raise ValidationError({"escalations": _("Each threshold needs a percent.")}) from None
        if not 1 <= percent <= BREACH or percent in seen:
            raise ValidationError({"escalations": _("Thresholds are distinct percentages from 1 to 100.")})
        seen.add(percent)
        actions = []
        for action in step.get("actions", []):
            if action.get("kind") not in ActionKind.values:
                raise ValidationError({"escalations": _("Unknown action “%(kind)s”.") % {"kind": action.get("kind")}})
            if action["kind"] == ActionKind.NOTIFY_MANAGER and not action.get("user"):
                raise ValidationError({"escalations": _("Name the manager to notify.")})
            if action["kind"] == ActionKind.REASSIGN and not action.get("team"):
                raise ValidationError({"escalations": _("Name the group to reassign to.")})
            actions.append({k: action[k] for k in ("kind", "user", "team") if k in action})
        cleaned.append({"percent": percent, "actions": actions})
    return sorted(cleaned, key=lambda s: s["percent"])


def default_escalations() -> list[dict]:
    return [{"percent": p, "actions": [{"kind": ActionKind.NOTIFY_ASSIGNEE}]} for p in DEFAULT_THRESHOLDS] + [
        {"percent": BREACH, "actions": [{"kind": ActionKind.NOTIFY_ASSIGNEE}, {"kind": ActionKind.NOTIFY_GROUP_LEAD}]}]


def _target_row(actor, data: dict, *, current: Target | None = None) -> Target:
    """The unsaved row of a new target, or of the version following `current`, checked."""
    refuse_unknown(data, TARGET_FIELDS)
    target = Target(created_by=actor, **data)
    if "escalations" not in data:
        target.escalations = default_escalations()
    target.escalations = clean_escalations(target.escalations)
    _check_goal(target)
    if not isinstance(target.priorities, list) or not all(isinstance(p, int) for p in target.priorities):
        raise ValidationError({"priorities": _("Give a list of priority numbers.")})
    if target.metric not in Metric.values:
        raise ValidationError({"metric": _("Choose response or resolution.")})
    _check_record_type(target)
    _check_cycles_and_scope(target)
    _check_target_choices(target, current)
    target.full_clean(exclude=["lineage"], validate_constraints=False)
    return target


def _check_goal(target: Target) -> None:
    """A duration longer than zero, or a relative goal with what it needs (slas.goals); a
    relative goal keeps no duration (zero)."""
    kind = target.goal_kind or GoalKind.DURATION
    if kind not in GoalKind.values:
        raise ValidationError({"goal_kind": _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(GoalKind.values)}})
    if kind == GoalKind.DURATION:
        if target.goal is None or target.goal <= timedelta(0):
            raise ValidationError({"goal": _("The goal must be longer than zero.")})
        return
    target.goal = timedelta(0)
    if not 0 <= (target.goal_days if target.goal_days is not None else -1) <= MAX_GOAL_DAYS:
        raise ValidationError({"goal_days": _("Give a number of business days from 0 to %(max)s.") % {
            "max": MAX_GOAL_DAYS}})
    if kind == GoalKind.BUSINESS_DAY_AT and target.goal_time is None:
        raise ValidationError({"goal_time": _("Give the time of day the goal falls due.")})


def _check_cycles_and_scope(target: Target) -> None:
    """The kind (a group only for an operational level target), the restart option (a new cycle
    on each customer reply times the answer to it: the customer's response only) and the
    counting of cycles."""
    errors = {}
    if target.kind not in TargetKind.values:
        errors["kind"] = _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(TargetKind.values)}
    elif target.kind == TargetKind.SLA and target.team_id is not None:
        errors["team"] = _("Only an operational level target names an assignment group.")
    if target.restart not in Restart.values:
        errors["restart"] = _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(Restart.values)}
    elif target.restart == Restart.CUSTOMER_REPLY and (target.metric != Metric.RESPONSE
                                                        or target.kind == TargetKind.OLA):
        errors["restart"] = _("A new cycle on each customer reply is for the customer's response targets: "
                              "it times the answer to each reply.")
    if target.cycle_counting not in CycleCounting.values:
        errors["cycle_counting"] = _("Choose one of: %(kinds)s.") % {"kinds": ", ".join(CycleCounting.values)}
    if errors:
        raise ValidationError(errors)


def _check_target_choices(target: Target, current: Target | None) -> None:
    """An active calendar, and, when the agreement names services, one of them (a target on
    another service would never apply: select_targets skips it). A new version keeps what the
    current one has."""
    errors = {}
    if target.calendar_id and target.calendar_id != getattr(current, "calendar_id", None) \
            and not target.calendar.is_active:
        errors["calendar"] = _("%(value)s is no longer in use.") % {"value": target.calendar}
    if target.team_id and target.team_id != getattr(current, "team_id", None) and not target.team.is_active:
        errors["team"] = _("%(value)s is no longer in use.") % {"value": target.team}
    if target.service_id and target.agreement_id and target.service_id != getattr(current, "service_id", None):
        named = target.agreement.services.all()
        if named.exists() and not named.filter(pk=target.service_id).exists():
            errors["service"] = _("%(service)s is not a service of %(agreement)s.") % {
                "service": target.service.name, "agreement": target.agreement}
    if errors:
        raise ValidationError(errors)


def _check_record_type(target: Target) -> None:
    """A target applies to a registered record type and pauses only in states of that type."""
    if target.record_type not in {subject.name for subject in subjects()}:
        raise ValidationError({"record_type": _("Unknown record type.")})
    states = {value for value, _label in subject_named(target.record_type).pause_choices()}
    unknown = [state for state in target.pause_states or [] if state not in states]
    if unknown:
        raise ValidationError({"pause_states": _("Not a state of this record type: %(states)s") % {
            "states": ", ".join(unknown)}})


@transaction.atomic
def target_create(*, actor, data: dict) -> Target:
    """Create a target (version 1). Side effects: none beyond the row."""
    require(actor, ADMIN_ROLES)
    target = _target_row(actor, data)
    target.save()
    _targets_changed()
    return target


@transaction.atomic
def target_update(*, actor, target: Target, data: dict) -> Target:
    """Change a target: writes the next version and makes it current. Timers keep the
    version they run on until `timers_recompute` moves them."""
    require(actor, ADMIN_ROLES)
    current = Target.objects.select_for_update().get(lineage=target.lineage, is_current=True)
    if data.get("kind", current.kind) != current.kind:
        # Its running timers are the customer's or a group's: a version of the other kind would
        # move them to a promise of another scope (a recompute follows the lineage).
        raise ValidationError({"kind": _("A target keeps its kind: create a new target instead.")})
    fields = {name: getattr(current, name) for name in TARGET_FIELDS if name not in ("agreement", "service",
                                                                                      "calendar", "team")}
    fields.update(agreement=current.agreement, service=current.service, calendar=current.calendar, team=current.team)
    fields.update(data)
    following = _target_row(actor, fields, current=current)
    following.lineage, following.version = current.lineage, current.version + 1
    Target.objects.filter(pk=current.pk).update(is_current=False)
    following.save()
    _targets_changed()
    return following


# --- reports ----------------------------------------------------------------------------------

@transaction.atomic
def report_generated(*, actor, agreement: Agreement, month: str):
    """Put on record that `actor` generated the monthly service-level report of `agreement`
    for `month` ("YYYY-MM"). Generating is a read; the only side effect is one domain event,
    "sla.report_generated" (auditors see it in the admin). Staff only."""
    from itsm.events import emit

    require(actor, STAFF_ROLES, reading=True)  # auditors generate reports too
    return emit("sla.report_generated", record=agreement, actor=actor, payload={
        "agreement": agreement.pk, "agreement_name": agreement.name, "month": month,
        "customer": agreement.customer_id})
