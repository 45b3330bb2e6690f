"""CI/CD gating: a pipeline asks whether it may deploy a change now, reports the start of the
deployment and its outcome, which drive the change's state.

A pipeline is an API token of a change worker (typically the change's implementer: start and
complete are the implementer's or a change manager's steps). It raises its standard change
from a template through the catalogue's API (`POST /api/v1/changes/from-template/`), then:
`change_gate` (GET gate/<change>/) → `pipeline_start` → deploy → `pipeline_finish`.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.exceptions import GuardFailed, NotPermitted
from itsm.permissions import permitted, require
from itsm.services import system_actor

from ..choices import ChangeModel, ChangeState, CloseCode
from ..models import Change, ChangeConflict
from ..workflow import CHANGE_MANAGERS, CHANGE_WORKERS
from .states import change_transition

OUTCOMES = (CloseCode.SUCCESSFUL, CloseCode.SUCCESSFUL_WITH_ISSUES, CloseCode.FAILED, CloseCode.BACKED_OUT)
DEPLOYABLE_STATES = (ChangeState.SCHEDULED, ChangeState.IMPLEMENTATION)


def change_gate(change: Change, at=None) -> dict:
    """May the change be deployed at `at` (now)? Yes only when it is authorised, scheduled (or its
    implementation has started), inside its planned window (an emergency change: any time after
    its authorisation, until its window ends), and no current conflict blocks it or needs an
    override nobody gave. Each "no" is a reason with a code and a sentence."""
    at = at or timezone.now()
    reasons = [*_state_reasons(change), *_window_reasons(change, at), *_conflict_reasons(change)]
    return {
        "deploy": not reasons,
        "reasons": reasons,
        "change": change.number,
        "state": change.state,
        "window": {"start": change.planned_start, "end": change.planned_end},
        "at": at,
    }


def _reason(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def _state_reasons(change: Change) -> list:
    reasons = []
    if change.authorised_at is None:
        reasons.append(_reason("not_authorised", _("%(number)s is not authorised.") % {"number": change.number}))
    if change.state not in DEPLOYABLE_STATES:
        reasons.append(_reason("wrong_state", _(
            "%(number)s is %(state)s: only a scheduled change, or one being implemented, is deployed.") % {
            "number": change.number, "state": change.get_state_display()}))
    return reasons


def _window_reasons(change: Change, at) -> list:
    start, end = change.planned_start, change.planned_end
    emergency = change.change_model == ChangeModel.EMERGENCY
    if start is None or end is None:
        return [] if emergency else [_reason("no_window", _("%(number)s has no planned window.") % {
            "number": change.number})]
    if at >= end:
        return [_reason("after_window", _("The planned window ended at %(end)s: reschedule the change.") % {
            "end": _when(end)})]
    if at < start and not emergency:
        return [_reason("before_window", _("The planned window starts at %(start)s.") % {"start": _when(start)})]
    return []


def _conflict_reasons(change: Change) -> list:
    reasons = []
    current = ChangeConflict.objects.filter(change=change, cleared_at__isnull=True).order_by("kind", "id")
    for conflict in current:
        if conflict.blocking:
            reasons.append(_reason("blocking_conflict", _("A conflict blocks the change: %(cause)s") % {
                "cause": conflict.detail}))
        elif conflict.needs_override and conflict.overridden_at is None:
            reasons.append(_reason("override_needed", _(
                "A conflict needs a change manager's override first: %(cause)s") % {"cause": conflict.detail}))
    return reasons


def _when(instant) -> str:
    return timezone.localtime(instant).strftime("%Y-%m-%d %H:%M %Z")


def pipeline_start(*, actor, change: Change) -> Change:
    """The pipeline starts deploying: the change goes into implementation, if the gate says yes
    (GuardFailed with the gate's reasons otherwise). Change workers; the start step itself is the
    implementer's or a change manager's."""
    require(actor, CHANGE_WORKERS)
    with transaction.atomic():
        locked = Change.objects.select_for_update().get(pk=change.pk)
        refuse_other_implementers(actor, locked)
        if locked.state != ChangeState.IMPLEMENTATION:  # started already: the step itself refuses (409)
            gate = change_gate(locked)
            if not gate["deploy"]:
                raise GuardFailed(_("%(number)s may not be deployed now.") % {"number": locked.number},
                                  fields={r["code"]: r["message"] for r in gate["reasons"]})
        return change_transition(actor=actor, change=locked, name="start",
                                 reason=_("Deployment started by the pipeline (%(user)s).") % {"user": actor})


def refuse_other_implementers(actor, change: Change) -> None:
    """A pipeline deploys its own change: the implementer's (or a change manager's), as the
    start and complete steps require (said first, before the gate's reasons)."""
    if change.implementer_id != actor.pk and not permitted(actor, CHANGE_MANAGERS):
        raise NotPermitted(_("Only the implementer of %(number)s or a change manager may deploy it.")
                           % {"number": change.number})


def pipeline_finish(*, actor, change: Change, outcome: str, notes: str = "") -> Change:
    """The pipeline reports how the deployment went (`outcome`: successful, successful with
    issues, failed, backed out): the change completes with that close code (its proposed CI
    changes applied when successful). A standard change that succeeded outright then closes
    itself (the close step is a change manager's: the system actor takes it, naming the
    pipeline); any other stays in review for a person."""
    require(actor, CHANGE_WORKERS)
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": _("Say how the deployment went: %(values)s.") % {
            "values": ", ".join(OUTCOMES)}})
    with transaction.atomic():
        done = change_transition(actor=actor, change=change, name="complete",
                                 data={"close_code": outcome, "close_notes": (notes or "").strip()},
                                 reason=_("Deployment finished (%(outcome)s), reported by the pipeline (%(user)s).")
                                 % {"outcome": CloseCode(outcome).label, "user": actor})
        if done.change_model == ChangeModel.STANDARD and outcome == CloseCode.SUCCESSFUL:
            done = change_transition(actor=system_actor(), change=done, name="close",
                                     reason=_("Standard change deployed successfully by the pipeline (%(user)s): "
                                              "closed automatically.") % {"user": actor})
    return done
