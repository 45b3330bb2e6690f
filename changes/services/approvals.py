"""Who authorises a change and what the approvers' outcome does to it (itsm.approvals underneath).

- `authorisation_request` (the core calls it on "request_authorisation"): one group per matching
  approval rule (changes.services.approval_rules); the requester and the implementer may not
  decide (segregation of duties). Where each group came from (its rule, its CAB) is journalled.
- `change_decide`: an approver's own decision, as which role (CAB member, team member, change
  manager, named approver). When the request completes: approved → `authorised_at` and event
  `change.authorised`; rejected → back to assessment and event `change.rejected`.
- `on_material_edit` (the core calls it when the window, CIs, services or plans change): a
  pending or approved authorisation no longer holds; a scheduled change goes back to
  authorisation, and the approvers are asked again.
"""

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.approval_models import ApprovalGroup, ApprovalRequest, ApprovalState
from itsm.approvals import ApprovalClosed, approval_cancel, approval_decide, approval_invalidate, approval_request
from itsm.approvals import required_approvals as quorum_needs
from itsm.choices import JournalKind, Role
from itsm.events import emit
from itsm.journal import journal_add
from itsm.permissions import permitted, require
from itsm.records import record_save
from itsm.services import system_actor
from itsm.workflow import transition_apply

from ..choices import ChangeState
from ..models import CabBoard, Change
from ..selectors_approvals import (
    PURPOSE,
    change_type,
    group_origins,
    latest_authorisation,
    pending_authorisation,
)
from ..workflow import CHANGE_MANAGERS, CHANGE_WORKERS
from .approval_rules import NO_RULE, approvers_of, rules_for

# Who may decide as an approver (the groups say who among them): people who work changes.
APPROVER_ROLES = CHANGE_WORKERS
REVIEWED_STATES = (ChangeState.AUTHORISATION, ChangeState.SCHEDULED)


# --- Asking ----------------------------------------------------------------------------------------

def _excluded(change: Change) -> list:
    return [person for person in (change.requester, change.implementer) if person is not None]


def _check_quorums(rules, excluded) -> None:
    """Name the rule whose group nobody (or too few) could decide in, before the kernel refuses."""
    excluded_ids = {person.pk for person in excluded}
    errors = []
    for rule in rules:
        spec = approvers_of(rule)
        people = {p.pk for p in spec.users if p.is_active}
        if spec.team is not None:
            people |= set(spec.team.members.filter(is_active=True).values_list("pk", flat=True))
        try:
            quorum_needs(spec.quorum, spec.value, len(people - excluded_ids))
        except ValidationError:
            errors.append(_("Approval rule “%(rule)s”: too few approvers may decide (the requester and the "
                            "implementer may not).") % {"rule": rule.name})
    if errors:
        raise ValidationError(errors, code="quorum")


def authorisation_request(change: Change, *, actor) -> ApprovalRequest:
    """Ask the approver groups the rules choose for `change`. A request left pending (the change
    went back to assessment by hand) is cancelled first. Refused (ValidationError) when no rule
    matches or a group's quorum cannot be met. Side effects: approval request, journal entries
    (approval requested; the groups' rules), event `approval.requested`."""
    require(actor, CHANGE_WORKERS)
    rules = rules_for(change)
    if not rules:
        raise ValidationError(NO_RULE, code="no_approval_rule")
    excluded = _excluded(change)
    _check_quorums(rules, excluded)
    with transaction.atomic():
        stale = pending_authorisation(change)
        if stale is not None:
            approval_cancel(actor=actor, request=stale, reason=_("Asked again."))
        request = approval_request(actor=actor, record=change, purpose=PURPOSE,
                                   groups=[approvers_of(rule) for rule in rules], excluded=excluded)
        groups = list(request.groups.annotate(member_count=Count("members")).order_by("pk"))
        journal_add(record=change, actor=actor, kind=JournalKind.APPROVAL,
                    body=_("Approver groups chosen by the approval rules: %(groups)s.") % {
                        "groups": ", ".join(_describe_group(group, rule) for group, rule in zip(groups, rules,
                                                                                               strict=True))},
                    data={"approval": request.pk, "step": "rules", "groups": [
                        {"group": group.pk, "rule": rule.pk, "board": rule.board_id}
                        for group, rule in zip(groups, rules, strict=True)]})
    return request


def _describe_group(group: ApprovalGroup, rule) -> str:
    text = _("%(group)s (%(quorum)s, %(required)s of %(members)s)") % {
        "group": group.name, "quorum": group.get_quorum_display().lower(), "required": group.required,
        "members": group.member_count}
    return f"{text} — {rule.board}" if rule.board_id else text


def authorisation_withdraw(change: Change, *, actor, reason: str) -> None:
    """Cancel the change's pending authorisation (it was cancelled or sent back to assessment by
    hand): its approvers are no longer asked."""
    request = pending_authorisation(change)
    if request is not None:
        approval_cancel(actor=actor, request=request, reason=reason)


def authorisation_approved(change: Change) -> bool:
    """Whether the change's latest authorisation request is approved."""
    latest = latest_authorisation(change)
    return latest is not None and latest.state == ApprovalState.APPROVED


# --- Deciding ------------------------------------------------------------------------------------

def decision_role(group: ApprovalGroup, actor, board_id: int | None = None) -> str:
    """As which role `actor` decides in `group`: a CAB member (of the group's board), a member of
    the group's team, a change manager, or a person the rule names."""
    if board_id is not None:
        board = CabBoard.objects.filter(pk=board_id).first()
        if board is not None and board.members.filter(pk=actor.pk).exists():
            return _("CAB member (%(board)s)") % {"board": board.name}
    if group.team_id is not None and group.team.members.filter(pk=actor.pk).exists():
        return _("member of %(team)s") % {"team": group.team.name}
    if actor.has_role(Role.CHANGE_MANAGER):
        return _("change manager")
    return _("named approver")


def _group_of_change(change: Change, group: ApprovalGroup) -> ApprovalGroup:
    request = group.request
    if request.content_type_id != change_type().pk or request.object_id != change.pk or request.purpose != PURPOSE:
        raise ValidationError({"group": _("This approver group is not one of %(number)s's.")
                               % {"number": change.number}})
    return group


def _refuse_unless_under_authorisation(change: Change) -> None:
    if change.state != ChangeState.AUTHORISATION:
        raise ApprovalClosed(_("%(number)s is %(state)s: it is not awaiting authorisation.")
                             % {"number": change.number, "state": change.get_state_display()})


def change_decide(*, actor, change: Change, group: ApprovalGroup, outcome: str, comment: str = "") -> Change:
    """`actor` approves or rejects `change` as a member of `group`, always as themselves (the
    kernel refuses non-members, the requester and the implementer, a second decision, a closed
    request). Side effects: decision, journal (with the role), events; when the request
    completes, `authorised_at` and `change.authorised`, or back to assessment and `change.rejected`."""
    require(actor, APPROVER_ROLES)
    with transaction.atomic():
        locked = Change.objects.select_for_update().get(pk=change.pk)
        group = _group_of_change(locked, ApprovalGroup.objects.select_related("request", "team").get(pk=group.pk))
        _refuse_unless_under_authorisation(locked)
        origin = group_origins([locked.pk]).get(group.pk, {})
        approval_decide(actor=actor, group=group, outcome=outcome, comment=comment,
                        role=decision_role(group, actor, origin.get("board")))
        return after_decision(locked, group.request_id, actor=actor, comment=comment)


def after_decision(change: Change, request_id: int, *, actor, comment: str = "") -> Change:
    """What the completed authorisation does to `change` (locked by the caller): nothing while
    it is pending. Called by change_decide and by the CAB's minuted decisions."""
    request = ApprovalRequest.objects.get(pk=request_id)
    if request.state == ApprovalState.APPROVED:
        return _authorised(change, request, actor)
    if request.state == ApprovalState.REJECTED:
        return _rejected(change, request, actor, comment)
    return change


def _authorised(change: Change, request: ApprovalRequest, actor) -> Change:
    change.authorised_at = timezone.now()
    record_save(change, actor=actor, reason="authorised")
    journal_add(record=change, actor=actor, kind=JournalKind.APPROVAL, is_public=False,
                body=_("Authorised: every approver group approved. The change may be scheduled."),
                data={"approval": request.pk, "step": "authorised"})
    emit("change.authorised", record=change, actor=actor, payload={"approval": request.pk})
    return change


def _rejected(change: Change, request: ApprovalRequest, actor, comment: str) -> Change:
    # Returning to assessment is a change manager's step: an approver who is not one takes it
    # through the system actor, the decision staying theirs on the timeline.
    stepper = actor if permitted(actor, CHANGE_MANAGERS) else system_actor()
    reason = _("Authorisation rejected by %(person)s") % {"person": actor}
    if comment.strip():
        reason = f"{reason}: {comment.strip()}"
    change = transition_apply(actor=stepper, record=change, name="return_to_assessment", reason=reason)
    emit("change.rejected", record=change, actor=actor,
         payload={"approval": request.pk, "by": actor.pk, "comment": comment.strip()})
    return change


# --- Material edits ------------------------------------------------------------------------------

def _field_label(name: str) -> str:
    """A field's or a reverse relation's name as people read it ("planned start", "proposed CI changes")."""
    try:
        field = Change._meta.get_field(name)
    except FieldDoesNotExist:
        return name.replace("_", " ")
    label = getattr(field, "verbose_name", None) or field.related_model._meta.verbose_name_plural
    return str(label)


def on_material_edit(change: Change, *, actor, fields: list[str]) -> Change:
    """A material edit (`fields`) of a change under authorisation or scheduled: its pending or
    approved authorisation no longer holds. A scheduled change goes back to authorisation
    ("reauthorise"); the approvers are asked again. Called inside change_update's transaction
    with the change saved and locked. Returns the change."""
    if change.state not in REVIEWED_STATES:
        return change
    latest = latest_authorisation(change)
    if latest is None or latest.state not in (ApprovalState.PENDING, ApprovalState.APPROVED):
        return change
    names = ", ".join(_field_label(name) for name in fields)
    reason = _("Edited after the approvers were asked (%(fields)s): they must decide again.") % {"fields": names}
    approval_invalidate(latest, reason, actor=actor)
    if change.state == ChangeState.SCHEDULED:
        change = transition_apply(actor=actor, record=change, name="reauthorise", reason=reason)
    elif change.authorised_at is not None:
        change.authorised_at = None
        record_save(change, actor=actor, reason="authorisation voided")
    journal_add(record=change, actor=actor, kind=JournalKind.APPROVAL, is_public=False,
                body=_("%(fields)s changed after approval: the approval is void and the approvers are asked again.")
                % {"fields": names}, data={"approval": latest.pk, "step": "voided", "fields": list(fields)})
    authorisation_request(change, actor=actor)
    return change

