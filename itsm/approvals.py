"""Approvals: one mechanism for every decision that needs named people (change authorisation,
CAB decisions, release go/no-go). The owner app chooses the approver groups and calls these
services from its own; the rules are enforced here, not in views (docs/kernel.md, Approvals).

Rules:
- A request is pending until every group's quorum is met (approved) or one approver rejects.
  A rejection is a veto: it rejects the approver's group and with it the whole request.
- Nobody decides on a record they requested or implement (`excluded`, named by the caller);
  a decision is always the actor's own, by a member of the group, once per group, while the
  request and the group are pending.
- `approval_invalidate` ends a pending or approved request after a material edit of the
  record: the owner app must ask for a new one.
- `approval_settle_group` records a decision a body took together (a CAB meeting) for a whole
  group; the recorder is never one of the excluded.
Every step writes an `approval` journal entry on the record and emits `approval.requested`,
`approval.decided` or `approval.completed` on the record (notifications: route them to the outbox).
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .approval_models import ApprovalDecision, ApprovalGroup, ApprovalRequest, ApprovalState, Outcome, Quorum
from .choices import JournalKind
from .events import emit
from .exceptions import DomainError, NotPermitted
from .journal import journal_add
from .models import Team, User
from .permissions import ALL_ROLES, require


class ApprovalClosed(DomainError):
    """The request (or the approver's group) is no longer waiting for decisions."""

    status_code = 409
    code = "approval_closed"


class AlreadyDecided(DomainError):
    """The approver has decided as this group already (a double click, a second tab)."""

    status_code = 409
    code = "already_decided"


class ApprovalPending(DomainError):
    """A request for the same record and purpose is pending: cancel or invalidate it first."""

    status_code = 409
    code = "approval_pending"


@dataclass(frozen=True)
class Approvers:
    """One approver group as the owner app chose it: a team's members and/or people, its quorum
    (`value` is N for `Quorum.COUNT`, the percentage for `Quorum.PERCENT`)."""

    name: str
    team: Team | None = None
    users: tuple = ()
    quorum: str = Quorum.ANY
    value: int | None = None


def required_approvals(quorum: str, value: int | None, eligible: int) -> int:
    """How many approvals of `eligible` people meet the quorum; ValidationError if none can."""
    if eligible < 1:
        raise ValidationError({"groups": gettext_lazy("An approver group has nobody who may decide.")})
    if quorum == Quorum.ANY:
        return 1
    if quorum == Quorum.ALL:
        return eligible
    if quorum == Quorum.COUNT and value is not None and 1 <= value <= eligible:
        return value
    if quorum == Quorum.PERCENT and value is not None and 1 <= value <= 100:
        return math.ceil(eligible * value / 100)  # 50 % of 3 needs 2: a quorum is never rounded down
    raise ValidationError({"groups": gettext_lazy("This quorum cannot be met by the group's approvers.")})


# --- Writes ---------------------------------------------------------------------------------

def approval_request(*, actor, record, purpose: str, groups: Iterable[Approvers],
                     excluded: Iterable = ()) -> ApprovalRequest:
    """Ask for approval of `record` for `purpose`. `excluded`: the record's requester and
    implementers, who may not decide (segregation of duties). Who may ask is the owner app's
    rule, checked by its service before it calls this one."""
    require(actor, ALL_ROLES)
    groups = list(groups)
    if not groups or not purpose:
        raise ValidationError({"groups": gettext_lazy("Name a purpose and at least one approver group.")})
    excluded_ids = {person.pk for person in excluded if person is not None}
    content_type = ContentType.objects.get_for_model(record)
    with transaction.atomic():
        pending = ApprovalRequest.objects.filter(content_type=content_type, object_id=record.pk,
                                                 purpose=purpose, state=ApprovalState.PENDING)
        if pending.exists():
            raise ApprovalPending(_("An approval of this record for %(purpose)s is pending already.")
                                  % {"purpose": purpose})
        request = _insert_request(content_type, record, purpose, actor)
        request.excluded.set(excluded_ids)
        made = [_add_group(request, spec, excluded_ids) for spec in groups]
        journal_add(record=record, actor=actor, kind=JournalKind.APPROVAL,
                    body=_("Approval requested (%(purpose)s) from %(groups)s.")
                    % {"purpose": purpose, "groups": ", ".join(g.name for g in made)},
                    data={"approval": request.pk, "step": "requested", "purpose": purpose})
        emit("approval.requested", record=record, actor=actor, payload={
            "approval": request.pk, "purpose": purpose,
            "approvers": sorted({pk for group in made for pk in group.member_ids}),
        })
    return request


def _insert_request(content_type, record, purpose, actor) -> ApprovalRequest:
    # The partial unique constraint settles two requests asked at the same instant.
    try:
        with transaction.atomic():
            return ApprovalRequest.objects.create(content_type=content_type, object_id=record.pk,
                                                  purpose=purpose, requested_by=actor)
    except IntegrityError:
        raise ApprovalPending(_("An approval of this record for %(purpose)s is pending already.")
                              % {"purpose": purpose}) from None


def _add_group(request, spec: Approvers, excluded_ids: set) -> ApprovalGroup:
    # Members are fixed now (active people, minus the excluded): "all" and "N of M" count
    # against the people asked, not against a team that changes while the request waits.
    chosen = Q(pk__in=[person.pk for person in spec.users])
    if spec.team is not None:
        chosen |= Q(teams=spec.team)
    people = User.objects.filter(chosen)
    member_ids = set(people.filter(is_active=True).exclude(pk__in=excluded_ids).values_list("pk", flat=True))
    required = required_approvals(spec.quorum, spec.value, len(member_ids))
    group = ApprovalGroup.objects.create(request=request, name=spec.name or str(spec.team), team=spec.team,
                                         quorum=spec.quorum, quorum_value=spec.value, required=required)
    group.members.set(member_ids)
    group.member_ids = member_ids
    return group


def approval_decide(*, actor, group: ApprovalGroup, outcome: str, comment: str = "",
                    role: str = "") -> ApprovalDecision:
    """`actor` approves or rejects as a member of `group`: always as themselves. Locks the
    request, so two approvers at the same instant are counted one after the other. `role`: as
    which role they decide, in the owner app's words ("CAB member"), kept in the journal entry
    (body and `data`) and the event."""
    require(actor, ALL_ROLES)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": gettext_lazy("Approve or reject.")})
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().get(pk=group.request_id)
        group = ApprovalGroup.objects.get(pk=group.pk)  # its state as of the lock
        _check_may_decide(request, group, actor)
        try:
            with transaction.atomic():
                decision = ApprovalDecision.objects.create(group=group, approver=actor, outcome=outcome,
                                                           comment=comment.strip())
        except IntegrityError:  # only without the row lock (SQLite serialises writers anyway)
            raise AlreadyDecided(_("You have decided as %(group)s already.") % {"group": group.name}) from None
        record = request.record
        journal_add(record=record, actor=actor, kind=JournalKind.APPROVAL,
                    body=_decision_text(decision, group, role),
                    data={"approval": request.pk, "step": "decided", "group": group.pk, "outcome": outcome,
                          "role": role})
        emit("approval.decided", record=record, actor=actor, payload={
            "approval": request.pk, "group": group.pk, "outcome": outcome, "approver": actor.pk, "role": role})
        _settle(request, group, decision, actor, record)
    return decision


def _check_may_decide(request, group, actor) -> None:
    if ApprovalDecision.objects.filter(group=group, approver=actor).exists():
        raise AlreadyDecided(_("You have decided as %(group)s already.") % {"group": group.name})
    if request.state != ApprovalState.PENDING:
        raise ApprovalClosed(_("This approval is %(state)s: it takes no more decisions.")
                             % {"state": request.get_state_display()})
    if request.excluded.filter(pk=actor.pk).exists():
        raise NotPermitted(_("You requested or implement this: someone else must approve it."))
    if not group.members.filter(pk=actor.pk).exists():
        raise NotPermitted(_("You are not an approver of %(group)s.") % {"group": group.name})
    if group.state != ApprovalState.PENDING:
        raise ApprovalClosed(_("%(group)s has decided already.") % {"group": group.name})


def _decision_text(decision, group, role: str = "") -> str:
    text = f"{decision.get_outcome_display()} ({group.name})"
    if role:
        text = _("%(decision)s as %(role)s") % {"decision": text, "role": role}
    return f"{text}: {decision.comment}" if decision.comment else text


def approval_settle_group(*, actor, group: ApprovalGroup, outcome: str, on_behalf: str, comment: str = "",
                          attendees: Iterable = ()) -> ApprovalGroup:
    """Settle `group` by a decision its body took together (a CAB meeting's minuted decision),
    recorded by `actor`: an approval meets the group's quorum at once, a rejection vetoes the
    request, as one approver's would. `on_behalf` names the body ("CAB meeting 2 March"),
    `attendees` who took part. Who may record it is the owner app's rule (the chair, a change
    manager); here: never one of the excluded (segregation of duties holds for the recorder
    too), only while the request and the group are pending. No ApprovalDecision row: the
    decision is the body's, not the recorder's; the journal entry and the event say who
    recorded it, for whom, and who attended."""
    require(actor, ALL_ROLES)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": gettext_lazy("Approve or reject.")})
    on_behalf = (on_behalf or "").strip()
    if not on_behalf:
        raise ValidationError({"on_behalf": gettext_lazy("Name the body that decided.")})
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().get(pk=group.request_id)
        group = ApprovalGroup.objects.get(pk=group.pk)
        if request.state != ApprovalState.PENDING:
            raise ApprovalClosed(_("This approval is %(state)s: it takes no more decisions.")
                                 % {"state": request.get_state_display()})
        if request.excluded.filter(pk=actor.pk).exists():
            raise NotPermitted(_("You requested or implement this: someone else must record the decision."))
        if group.state != ApprovalState.PENDING:
            raise ApprovalClosed(_("%(group)s has decided already.") % {"group": group.name})
        record, people = request.record, list(attendees)
        body = _("%(outcome)s (%(group)s) by %(body)s, recorded by %(actor)s") % {
            "outcome": Outcome(outcome).label, "group": group.name, "body": on_behalf, "actor": actor}
        if people:
            body += " " + _("Present: %(people)s.") % {"people": ", ".join(str(p) for p in people)}
        journal_add(record=record, actor=actor, kind=JournalKind.APPROVAL,
                    body=f"{body} {comment.strip()}".strip(),
                    data={"approval": request.pk, "step": "settled", "group": group.pk, "outcome": outcome,
                          "on_behalf": on_behalf, "attendees": [p.pk for p in people]})
        emit("approval.decided", record=record, actor=actor, payload={
            "approval": request.pk, "group": group.pk, "outcome": outcome, "approver": actor.pk,
            "on_behalf": on_behalf})
        if outcome == Outcome.REJECT:
            _set_group(group, ApprovalState.REJECTED)
            _complete(request, ApprovalState.REJECTED, actor, record)
        else:
            _set_group(group, ApprovalState.APPROVED)
            if not request.groups.exclude(state=ApprovalState.APPROVED).exists():
                _complete(request, ApprovalState.APPROVED, actor, record)
    return group


def _settle(request, group, decision, actor, record) -> None:
    """A rejection rejects the group and the request (a veto); enough approvals approve the
    group, and the last group approved approves the request."""
    if decision.outcome == Outcome.REJECT:
        _set_group(group, ApprovalState.REJECTED)
        _complete(request, ApprovalState.REJECTED, actor, record)
        return
    if group.decisions.filter(outcome=Outcome.APPROVE).count() < group.required:
        return
    _set_group(group, ApprovalState.APPROVED)
    if not request.groups.exclude(state=ApprovalState.APPROVED).exists():
        _complete(request, ApprovalState.APPROVED, actor, record)


def _set_group(group, state) -> None:
    group.state = state
    group.save(update_fields=["state"])


def _complete(request, state, actor, record, reason: str = "") -> None:
    request.state, request.completed_at, request.reason = state, timezone.now(), reason
    request.save(update_fields=["state", "completed_at", "reason"])
    body = _("Approval (%(purpose)s) %(state)s.") % {"purpose": request.purpose,
                                                     "state": request.get_state_display().lower()}
    journal_add(record=record, actor=actor, kind=JournalKind.APPROVAL,
                body=f"{body} {reason}".strip(),
                data={"approval": request.pk, "step": "completed", "state": state})
    emit("approval.completed", record=record, actor=actor,
         payload={"approval": request.pk, "purpose": request.purpose, "state": state})


def approval_cancel(*, actor, request: ApprovalRequest, reason: str = "") -> ApprovalRequest:
    """Withdraw a pending request (the record was cancelled, or the approvers are to change)."""
    require(actor, ALL_ROLES)
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
        if request.state != ApprovalState.PENDING:
            raise ApprovalClosed(_("This approval is %(state)s: it takes no more decisions.")
                                 % {"state": request.get_state_display()})
        _complete(request, ApprovalState.CANCELLED, actor, request.record, reason)
    return request


def approval_invalidate(request: ApprovalRequest, reason: str, *, actor=None) -> ApprovalRequest:
    """A material edit of the record (its window, CIs, plans): a pending or approved request
    no longer holds and a new one must be asked for. Anything else is left as it is, so the
    owner app may call this on every material edit. `actor`: who edited (default: system)."""
    from .services import system_actor

    if actor is None:
        actor = system_actor()  # a task or command: no role to check
    else:
        require(actor, ALL_ROLES)
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
        if request.state in (ApprovalState.PENDING, ApprovalState.APPROVED):
            _complete(request, ApprovalState.INVALIDATED, actor, request.record, reason)
    return request


# --- Reads ----------------------------------------------------------------------------------

def approvals_of(record):
    """The approval requests of `record`, oldest first, each with `group_list` (with `team`,
    `member_list` and `decision_list`, decisions with their `approver`), `excluded_list` and
    `requested_by`: five queries however many requests, groups and decisions there are.
    Read it for a record the user may read (the record's own gate decides)."""
    groups = ApprovalGroup.objects.select_related("team").prefetch_related(
        Prefetch("members", queryset=User.objects.order_by("username"), to_attr="member_list"),
        Prefetch("decisions", queryset=ApprovalDecision.objects.select_related("approver"),
                 to_attr="decision_list"),
    )
    return ApprovalRequest.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk,
    ).select_related("requested_by").prefetch_related(
        Prefetch("groups", queryset=groups, to_attr="group_list"),
        Prefetch("excluded", queryset=User.objects.order_by("username"), to_attr="excluded_list"),
    )
