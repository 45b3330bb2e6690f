"""Proposed CI changes: what a change will do to its CIs (a field or attribute, a relationship
added or removed), checked as the CMDB would check it when proposed, shown as a diff, and applied
through config_items.services when the change is implemented successfully, with CMDB history
naming the change ("CHG0000012: <short description>").

Rules: proposals are made by change workers on the change's own CIs (affected CIs or services)
until implementation starts; one pending proposal per CI and field (or relationship). Adding or
removing one while the change is under authorisation or scheduled is a material edit (the
approvers agreed to what the change would do): the approval is voided and asked again.

Applying never blocks the completion: a proposal the CMDB refuses by then (the CI changed
meanwhile, a relationship already gone) keeps its error (`apply_error`), which the change's
journal and page show; the others are applied.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config_items import services as cmdb
from config_items.attributes import clean_attributes
from config_items.choices import CIStatus, Environment
from config_items.models import ConfigurationItem, Relationship, RelationshipType
from config_items.workflow import CI_WORKFLOW, CMDB_WRITERS
from itsm.choices import JournalKind
from itsm.events import emit
from itsm.exceptions import DomainError, messages_of
from itsm.journal import journal_add
from itsm.models import Team
from itsm.permissions import permitted, require
from itsm.records import save_with_history
from itsm.services import system_actor
from itsm.validation import refuse_unknown

from ..choices import BEFORE_IMPLEMENTATION, ChangeState, ProposalKind
from ..models import Change, ProposedCIChange
from ..workflow import CHANGE_WORKERS
from . import approvals

# CI fields a change may propose (the CMDB's own: status goes through the CI lifecycle).
PROPOSABLE_FIELDS = ("name", "status", "environment", "description", "owner_team")
ATTRIBUTE_PREFIX = "attributes."
PROPOSAL_INPUT = ("kind", "ci", "field", "after", "relationship_type", "target")
# States in which the approvers have agreed (or are agreeing) to the change as it stands.
UNDER_APPROVAL = (ChangeState.AUTHORISATION, ChangeState.SCHEDULED)
LIVE_STATUSES = (CIStatus.LIVE, CIStatus.IN_MAINTENANCE)


def change_reason(change: Change) -> str:
    """The history reason of the CMDB writes a change makes: its number first (detection reads it)."""
    return f"{change.number}: {change.short_description}"[:100]


# --- proposing ---------------------------------------------------------------------------------

@transaction.atomic
def proposal_add(*, actor, change: Change, data: dict) -> ProposedCIChange:
    """Propose a CI change. `data`: kind (attribute / add_relationship / remove_relationship), ci;
    for an attribute `field` (a CI field or "attributes.<key>") and `after` (the new value; None
    or "" clears an attribute); for a relationship `relationship_type` and `target` (the CI reads
    "<ci> <type> <target>"). `before` is the CMDB's value now. Side effects: history, a journal
    entry on the change, and a material edit when the change is under authorisation or scheduled."""
    require(actor, CHANGE_WORKERS)
    refuse_unknown(data, PROPOSAL_INPUT)
    locked = _locked_open_change(change)
    ci = _proposed_ci(locked, data.get("ci"))
    kind = data.get("kind")
    if kind == ProposalKind.ATTRIBUTE:
        proposal = _attribute_proposal(locked, ci, data)
    elif kind in (ProposalKind.ADD_RELATIONSHIP, ProposalKind.REMOVE_RELATIONSHIP):
        proposal = _relationship_proposal(locked, ci, kind, data)
    else:
        raise ValidationError({"kind": _("Choose what to change: an attribute, or a relationship to add or remove.")})
    proposal.created_by = actor
    save_with_history(proposal, actor=actor, reason="proposed")
    journal_add(record=locked, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                body=_("Proposed CI change: %(diff)s") % {"diff": describe(proposal)},
                data={"proposal": proposal.pk, "action": "added"})
    _material_edit(locked, actor)
    return proposal


@transaction.atomic
def proposal_remove(*, actor, proposal: ProposedCIChange) -> None:
    """Withdraw a proposed CI change before the change's implementation starts. Side effects:
    history of the deletion, a journal entry, and a material edit as for `proposal_add`."""
    require(actor, CHANGE_WORKERS)
    locked = _locked_open_change(proposal.change)
    proposal = ProposedCIChange.objects.select_for_update(of=("self",)).select_related("ci", "target", "relationship_type").get(
        pk=proposal.pk)
    text = describe(proposal)
    proposal._history_user = actor
    proposal._change_reason = "withdrawn"
    proposal.delete()
    journal_add(record=locked, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                body=_("Proposed CI change withdrawn: %(diff)s") % {"diff": text},
                data={"proposal": proposal.pk, "action": "removed"})
    _material_edit(locked, actor)


def _locked_open_change(change: Change) -> Change:
    """The change, locked (a concurrent start waits, then this sees the new state)."""
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if locked.state not in BEFORE_IMPLEMENTATION:
        raise ValidationError({"change": _(
            "%(number)s is %(state)s: CI changes are proposed only before its implementation starts.") % {
            "number": locked.number, "state": locked.get_state_display()}})
    return locked


def _material_edit(change: Change, actor) -> None:
    if change.state in UNDER_APPROVAL:
        approvals.on_material_edit(change, actor=actor, fields=["proposed_ci_changes"])


def _proposed_ci(change: Change, ci) -> ConfigurationItem:
    if not isinstance(ci, ConfigurationItem):
        raise ValidationError({"ci": _("Choose one of the change's CIs.")})
    named = (change.cis.filter(pk=ci.pk).exists() or change.services.filter(pk=ci.pk).exists())
    if not named:
        raise ValidationError({"ci": _("%(ci)s is not among the CIs of %(number)s: add it to the change first.") % {
            "ci": ci.number, "number": change.number}})
    return ConfigurationItem.objects.select_related("ci_type").get(pk=ci.pk)


def _attribute_proposal(change: Change, ci: ConfigurationItem, data: dict) -> ProposedCIChange:
    field = (data.get("field") or "").strip()
    if "relationship_type" in data or "target" in data:
        raise ValidationError({"target": _("An attribute change names no relationship.")})
    before = current_value(ci, field)
    after = clean_proposed_value(ci, field, data.get("after"))
    if after == before:
        raise ValidationError({"after": _("This is the CI's current value.")})
    if ProposedCIChange.objects.filter(change=change, ci=ci, field=field, applied_at=None).exists():
        raise ValidationError({"field": _("%(number)s already proposes a change of %(field)s on %(ci)s: "
                                          "withdraw it first.") % {"number": change.number, "field": field,
                                                                   "ci": ci.number}})
    return ProposedCIChange(change=change, ci=ci, kind=ProposalKind.ATTRIBUTE, field=field, before=before,
                            after=after)


def _relationship_proposal(change: Change, ci: ConfigurationItem, kind: str, data: dict) -> ProposedCIChange:
    if data.get("field") or data.get("after") not in (None, ""):
        raise ValidationError({"field": _("A relationship change names a type and a related CI, not a field.")})
    kind_of_link, target = data.get("relationship_type"), data.get("target")
    errors = {}
    if not isinstance(kind_of_link, RelationshipType):
        errors["relationship_type"] = _("Choose the type of the relationship.")
    if not isinstance(target, ConfigurationItem):
        errors["target"] = _("Choose the related CI.")
    if errors:
        raise ValidationError(errors)
    exists = Relationship.objects.filter(source=ci, target=target, type=kind_of_link).exists()
    if kind == ProposalKind.ADD_RELATIONSHIP:
        _refuse_bad_link(ci, target, kind_of_link, exists)
    elif not exists:
        raise ValidationError({"target": _("%(ci)s does not %(label)s %(target)s.") % {
            "ci": ci.number, "label": kind_of_link.forward_label, "target": target.number}})
    if ProposedCIChange.objects.filter(change=change, ci=ci, target=target, relationship_type=kind_of_link,
                                       applied_at=None).exists():
        raise ValidationError({"target": _("This relationship change is proposed already.")})
    return ProposedCIChange(change=change, ci=ci, kind=kind, relationship_type=kind_of_link, target=target,
                            before=exists, after=not exists)


def _refuse_bad_link(ci, target, kind_of_link, exists: bool) -> None:
    """The CMDB's rules for a new link (config_items.services.relationship_create), checked now."""
    if ci.pk == target.pk:
        raise ValidationError({"target": _("A CI cannot depend on itself.")})
    if not kind_of_link.is_active:
        raise ValidationError({"relationship_type": _("The relationship type “%(type)s” is no longer in use.") % {
            "type": kind_of_link}})
    for name, item in (("ci", ci), ("target", target)):
        if item.status == CIStatus.RETIRED:
            raise ValidationError({name: _("%(ci)s is retired.") % {"ci": item}})
    if exists:
        raise ValidationError({"target": _("%(ci)s already %(label)s %(target)s.") % {
            "ci": ci.number, "label": kind_of_link.forward_label, "target": target.number}})


# --- values as the CMDB holds and checks them -------------------------------------------------

def current_value(ci: ConfigurationItem, field: str):
    """The CI's value of `field` in JSON form (a team by its id). Refuses a field that cannot be
    proposed, or an attribute the CI's type does not have."""
    if field.startswith(ATTRIBUTE_PREFIX):
        key = field[len(ATTRIBUTE_PREFIX):]
        if key not in {d["name"] for d in ci.ci_type.attribute_schema}:
            raise ValidationError({"field": _("%(type)s has no attribute “%(name)s”.") % {
                "type": ci.ci_type, "name": key}})
        return ci.attributes.get(key)
    if field not in PROPOSABLE_FIELDS:
        raise ValidationError({"field": _("Choose a field (%(fields)s) or an attribute of the CI.") % {
            "fields": ", ".join(PROPOSABLE_FIELDS)}})
    return ci.owner_team_id if field == "owner_team" else getattr(ci, field)


def clean_proposed_value(ci: ConfigurationItem, field: str, value):
    """`value` for `field` of `ci` as the CMDB services would accept it, in JSON form. Raises a
    ValidationError keyed "after"."""
    try:
        if field.startswith(ATTRIBUTE_PREFIX):
            return _clean_attribute(ci, field[len(ATTRIBUTE_PREFIX):], value)
        return _clean_field(ci, field, value)
    except ValidationError as exc:
        raise ValidationError({"after": messages_of(exc, field_names=False)}) from None


def _clean_attribute(ci: ConfigurationItem, key: str, value):
    values = dict(ci.attributes)
    if value in (None, ""):
        values.pop(key, None)
    else:
        values[key] = value
    return clean_attributes(ci.ci_type.attribute_schema, values).get(key)


def _clean_field(ci: ConfigurationItem, field: str, value):
    text = "" if value is None else str(value).strip()
    if field == "name":
        if not text or len(text) > 200:
            raise ValidationError(_("Give a name of at most 200 characters."))
        return text
    if field == "description":
        return text
    if field == "environment":
        if text not in Environment.values:
            raise ValidationError(_("Choose one of %(values)s.") % {"values": ", ".join(Environment.values)})
        return text
    if field == "status":
        return _clean_status(ci, text)
    return _clean_team(ci, value, text)


def _clean_status(ci: ConfigurationItem, status: str) -> str:
    if status not in CIStatus.values:
        raise ValidationError(_("Choose one of %(values)s.") % {"values": ", ".join(CIStatus.values)})
    if status != ci.status and not any(ci.status in t.sources and t.target == status for t in CI_WORKFLOW.transitions):
        raise ValidationError(_("A CI cannot go from %(old)s to %(new)s.") % {
            "old": CIStatus(ci.status).label, "new": CIStatus(status).label})
    if status in LIVE_STATUSES and ci.owner_team_id is None:
        raise ValidationError(_("Set an owner team before the CI goes live."))
    return status


def _clean_team(ci: ConfigurationItem, value, text: str):
    if not text:
        if ci.status in LIVE_STATUSES:
            raise ValidationError(_("A live CI needs an owner team."))
        return None
    team = (Team.objects.filter(pk=int(text)).first() if text.isdigit() and not isinstance(value, bool)
            else Team.objects.filter(name=text).first())
    if team is None:
        raise ValidationError(_("No team “%(value)s”.") % {"value": text})
    if not team.is_active:
        raise ValidationError(_("%(value)s is no longer in use.") % {"value": team})
    return team.pk


# --- applying --------------------------------------------------------------------------------

def proposals_apply(change: Change, *, actor) -> list:
    """Apply the change's pending proposed CI changes through the CMDB services (called by
    change_transition in the transaction of "complete" with a successful close code). Each is
    applied in a savepoint: one the CMDB refuses keeps its `apply_error` (journalled on the
    change) and the others go on. Written by `actor` when they may write the CMDB, else by the
    system actor (an implementer need not be a CMDB writer: the change's authorisation is the
    authority); the history reason names the change. Returns the proposals, applied or not."""
    proposals = list(ProposedCIChange.objects.select_for_update(of=("self",)).filter(change=change, applied_at=None)
                     .select_related("ci", "target", "relationship_type").order_by("id"))
    if not proposals:
        return []
    writer = actor if permitted(actor, CMDB_WRITERS) else system_actor()
    reason = change_reason(change)
    for proposal in proposals:
        try:
            with transaction.atomic():
                _apply(proposal, writer, reason)
        except (ValidationError, DomainError) as exc:
            proposal.apply_error = " ".join(messages_of(exc, field_names=False))
        else:
            proposal.applied_at, proposal.apply_error = timezone.now(), ""
        save_with_history(proposal, actor=actor, reason="applied" if proposal.applied_at else "not applied")
    _journal_applied(change, actor, proposals)
    return proposals


def _apply(proposal: ProposedCIChange, writer, reason: str) -> None:
    if proposal.kind == ProposalKind.ATTRIBUTE:
        _apply_attribute(proposal, writer, reason)
        return
    link = Relationship.objects.filter(source=proposal.ci_id, target=proposal.target_id,
                                       type=proposal.relationship_type_id).first()
    if proposal.kind == ProposalKind.ADD_RELATIONSHIP:
        if link is None:
            cmdb.relationship_create(actor=writer, source=proposal.ci, target=proposal.target,
                                     type=proposal.relationship_type, reason=reason)
    elif link is not None:
        cmdb.relationship_delete(actor=writer, relationship=link, reason=reason)


def _apply_attribute(proposal: ProposedCIChange, writer, reason: str) -> None:
    ci = ConfigurationItem.objects.select_related("ci_type").get(pk=proposal.ci_id)
    now = current_value(ci, proposal.field)
    if now == proposal.after:
        return  # the CMDB holds it already: nothing to write
    if now != proposal.before:
        raise ValidationError({proposal.field: _(
            "%(ci)s changed since the proposal: %(field)s is now %(now)s, not %(before)s.") % {
            "ci": ci.number, "field": proposal.field, "now": _shown(now), "before": _shown(proposal.before)}})
    field, value = proposal.field, proposal.after
    if field.startswith(ATTRIBUTE_PREFIX):
        clean_proposed_value(ci, field, value)  # the type's schema may have changed since
        data = {"attributes": _with_attribute(ci.attributes, field[len(ATTRIBUTE_PREFIX):], value)}
    elif field == "owner_team":
        team = Team.objects.filter(pk=value).first() if value is not None else None
        if value is not None and team is None:
            raise ValidationError({field: _("The team proposed no longer exists.")})
        data = {"owner_team": team}
    else:
        data = {field: value}
    cmdb.ci_update(actor=writer, ci=ci, data=data, reason=reason)


def _with_attribute(attributes: dict, key: str, value) -> dict:
    values = dict(attributes)
    if value in (None, ""):
        values.pop(key, None)
    else:
        values[key] = value
    return values


def _shown(value) -> str:
    return "—" if value in (None, "") else str(value)


def _journal_applied(change: Change, actor, proposals: list) -> None:
    applied = [p for p in proposals if p.applied_at]
    failed = [p for p in proposals if not p.applied_at]
    body = _("%(count)s proposed CI changes applied to the CMDB.") % {"count": len(applied)}
    if failed:
        body += " " + _("Not applied: %(items)s") % {
            "items": "; ".join(f"{describe(p)} ({p.apply_error})" for p in failed)}
    journal_add(record=change, actor=actor, kind=JournalKind.SYSTEM, is_public=False, body=body,
                data={"proposals_applied": [p.pk for p in applied], "proposals_failed": [p.pk for p in failed]})
    emit("change.proposals_applied", record=change, actor=actor,
         payload={"applied": len(applied), "failed": len(failed)})


# --- how a proposal reads ----------------------------------------------------------------------

def describe(proposal: ProposedCIChange) -> str:
    """One line: "CI0000012 status: live → in_maintenance", "CI0000012 + runs on CI0000013"."""
    if proposal.kind == ProposalKind.ATTRIBUTE:
        return f"{proposal.ci.number} {proposal.field}: {_shown(proposal.before)} → {_shown(proposal.after)}"
    sign = "+" if proposal.kind == ProposalKind.ADD_RELATIONSHIP else "−"
    return f"{proposal.ci.number} {sign} {proposal.relationship_type.forward_label} {proposal.target.number}"
