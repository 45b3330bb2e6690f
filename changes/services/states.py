"""A change's workflow steps, with the checks that need more than the change itself: who
implements it, whether its approval is complete, what its conflicts allow, and what a step does
next (ask the approvers, apply the proposed CI changes)."""

from django.db import transaction
from django.utils.translation import gettext as _

from itsm.exceptions import GuardFailed, NotPermitted
from itsm.permissions import permitted, require
from itsm.workflow import transition_apply

from ..choices import SUCCESS_CODES
from ..models import Change
from ..workflow import CHANGE_MANAGERS, CHANGE_WORKERS
from . import approvals, conflicts, proposals

IMPLEMENTER_STEPS = ("start", "complete")


def change_transition(*, actor, change: Change, name: str, data: dict | None = None, reason: str = "",
                      expected_version: int | None = None, override_reason: str = "") -> Change:
    """Move the change through workflow step `name` (changes.workflow). `override_reason`: when
    scheduling despite conflicts that need an override. Raises TransitionNotAllowed, GuardFailed,
    NotPermitted, StaleRecord, ValidationError."""
    require(actor, CHANGE_WORKERS)
    data = dict(data or {})
    with transaction.atomic():
        current = Change.objects.select_for_update().get(pk=change.pk)
        _check_before(actor, current, name, data, override_reason)
        record = transition_apply(actor=actor, record=current, name=name, data=data, reason=reason,
                                  expected_version=expected_version)
        _after(actor, record, name, override_reason)
    return record


def _check_before(actor, change: Change, name: str, data: dict, override_reason: str) -> None:
    require(actor, change.workflow.get(name).roles)  # who may take the step, before what it needs
    if name in IMPLEMENTER_STEPS and change.implementer_id != actor.pk and not permitted(actor, CHANGE_MANAGERS):
        raise NotPermitted(_("Only the implementer of %(number)s or a change manager may do this.")
                           % {"number": change.number})
    if name == "schedule" and not approvals.authorisation_approved(change):
        raise GuardFailed(_("The change is not authorised yet."),
                          fields={"state": _("Every approver group must approve the change first.")})
    if name == "start" and change.authorised_at is None:  # set when its approval completes
        raise GuardFailed(_("The change is not authorised."),
                          fields={"state": _("A change is implemented only once it is authorised.")})
    if name in ("schedule", "schedule_standard"):
        for field in ("planned_start", "planned_end"):
            if field in data:
                setattr(change, field, data[field])
        conflicts.conflicts_refresh(change, actor=actor)
        errors = conflicts.scheduling_refusal(change, override_reason=override_reason)
        if errors:
            raise GuardFailed(_("The change's window conflicts with other work."), fields=errors)
    if name == "start":
        errors = conflicts.scheduling_refusal(change, override_reason=change.conflict_override_reason)
        if errors:
            raise GuardFailed(_("The change's window conflicts with other work."), fields=errors)


def _after(actor, change: Change, name: str, override_reason: str) -> None:
    if name == "request_authorisation":
        approvals.authorisation_request(change, actor=actor)
    elif name in ("cancel", "return_to_assessment"):
        # Its approvers are no longer asked (a rejection has completed the request already).
        approvals.authorisation_withdraw(change, actor=actor, reason=str(change.workflow.get(name).label))
    elif name in ("schedule", "schedule_standard") and override_reason:
        conflicts.record_override(change, actor=actor, reason=override_reason)
    elif name == "complete" and change.close_code in SUCCESS_CODES:
        proposals.proposals_apply(change, actor=actor)
