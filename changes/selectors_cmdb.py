"""Reads of the CMDB side of change management: a change's proposed CI changes (as a diff),
unauthorised CI changes, exempt discovery sources. Staff read them all (auditors included);
requesters nothing, like changes (`selectors.may_read_changes`)."""

from django.http import Http404
from django.utils.translation import gettext as _

from config_items.choices import CIStatus, Environment
from itsm.models import Team

from .choices import ProposalKind
from .models import ExemptSource, ProposedCIChange, UnauthorisedChange
from .selectors import may_read_changes

EXCEPTION_RELATIONS = ("ci", "changed_by", "change", "resolved_by")


def proposals_of(change):
    """The change's proposed CI changes, oldest first, with what a row shows."""
    return (ProposedCIChange.objects.filter(change=change)
            .select_related("ci__ci_type", "target", "relationship_type", "created_by").order_by("id"))


def proposal_get_for_user(user, pk) -> ProposedCIChange:
    if not may_read_changes(user):
        raise Http404
    proposal = ProposedCIChange.objects.select_related("change", "ci").filter(pk=pk).first()
    if proposal is None:
        raise Http404
    return proposal


def proposal_rows(proposals) -> list[dict]:
    """What the diff shows of each proposal: the CI, what changes (a field's label, or the link),
    before → after as people read them (team names, status labels), and where it stands."""
    proposals = list(proposals)
    team_ids = {v for p in proposals if p.field == "owner_team" for v in (p.before, p.after) if v is not None}
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name")) if team_ids else {}
    return [{"proposal": p, "what": _what(p), "before": _readable(p, p.before, teams),
             "after": _readable(p, p.after, teams), "state": _state(p)} for p in proposals]


def _what(proposal) -> str:
    if proposal.kind != ProposalKind.ATTRIBUTE:
        return f"{proposal.relationship_type.forward_label} {proposal.target}"
    if proposal.field.startswith("attributes."):
        key = proposal.field.split(".", 1)[1]
        labels = {d["name"]: d.get("label", d["name"]) for d in proposal.ci.ci_type.attribute_schema}
        return labels.get(key, key)
    return str(proposal.ci._meta.get_field(proposal.field).verbose_name).capitalize()


def _readable(proposal, value, teams: dict) -> str:
    if proposal.kind != ProposalKind.ATTRIBUTE:
        return _("linked") if value else _("not linked")
    if value in (None, ""):
        return "—"
    if proposal.field == "owner_team":
        return teams.get(value, f"#{value}")
    if proposal.field == "status":
        return str(CIStatus(value).label) if value in CIStatus.values else str(value)
    if proposal.field == "environment":
        return str(Environment(value).label) if value in Environment.values else str(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _state(proposal) -> str:
    if proposal.applied_at:
        return "applied"
    return "failed" if proposal.apply_error else "pending"


def unauthorised_list(user):
    """The unauthorised CI changes the user may read, newest first, with what a row shows."""
    if not may_read_changes(user):
        return UnauthorisedChange.objects.none()
    return UnauthorisedChange.objects.select_related(*EXCEPTION_RELATIONS)


def unauthorised_get_for_user(user, pk) -> UnauthorisedChange:
    try:
        return unauthorised_list(user).get(pk=pk)
    except (UnauthorisedChange.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def exempt_source_list(user):
    if not may_read_changes(user):
        return ExemptSource.objects.none()
    return ExemptSource.objects.all()


def exempt_source_get_for_user(user, pk) -> ExemptSource:
    try:
        return exempt_source_list(user).get(pk=pk)
    except (ExemptSource.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
