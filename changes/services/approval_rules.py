"""The rules that choose who authorises a change (administrator-managed), and their matching.

Every active rule that matches a change adds one approver group (itsm.approvals.Approvers):
- model: a rule for a model matches changes of that model, a rule without one matches normal
  changes; emergency changes match only rules of the emergency model (the emergency CAB, a
  smaller group on a short path);
- risk: from the rule's level up; a change whose risk is not assessed yet (an emergency may go
  without) counts as the highest, so it never escapes the stricter groups;
- service: the rule's service is among the change's affected or impacted services.
The group: the rule's team and people, and the members of its board (a CAB), with its quorum.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.approval_models import Quorum
from itsm.approvals import Approvers
from itsm.models import User
from itsm.permissions import ADMIN_ROLES, require
from itsm.records import save_with_history
from itsm.validation import apply_fields, refuse_unknown

from ..choices import ChangeModel, RiskLevel
from ..models import ApprovalRule, Change

RULE_FIELDS = ("name", "change_model", "min_risk", "service", "team", "users", "board", "quorum", "quorum_value",
               "order", "is_active")
NO_RULE = gettext_lazy("No approval rule matches this change: ask an administrator")


# --- Matching ------------------------------------------------------------------------------------

def _active_rules():
    return ApprovalRule.objects.filter(is_active=True).select_related("team", "board", "board__team").prefetch_related(
        Prefetch("users", queryset=User.objects.order_by("pk"), to_attr="user_list"),
        Prefetch("board__members", queryset=User.objects.order_by("pk"), to_attr="member_list"),
    ).order_by("order", "id")


def _matches_model(rule: ApprovalRule, change: Change) -> bool:
    if change.change_model == ChangeModel.EMERGENCY:
        return rule.change_model == ChangeModel.EMERGENCY
    return rule.change_model in ("", change.change_model)


def _matches_risk(rule: ApprovalRule, change: Change) -> bool:
    if not rule.min_risk or not change.risk:
        return True
    return RiskLevel(change.risk).rank >= RiskLevel(rule.min_risk).rank


def rules_for(change: Change) -> list[ApprovalRule]:
    """The active rules matching `change`, in their order (three queries)."""
    service_ids = set(change.services.values_list("pk", flat=True))
    service_ids |= set(change.impacted_services.values_list("pk", flat=True))
    return [rule for rule in _active_rules()
            if _matches_model(rule, change) and _matches_risk(rule, change)
            and (rule.service_id is None or rule.service_id in service_ids)]


def approvers_of(rule: ApprovalRule) -> Approvers:
    """The approver group a rule asks: its team, its people and its board's members."""
    people = list(getattr(rule, "user_list", None) or rule.users.all())
    team = rule.team
    board = rule.board
    if board is not None:
        people += list(getattr(board, "member_list", None) or board.members.all())
        if board.team_id and team is None:
            team = board.team
        elif board.team_id:
            people += list(board.team.members.all())
    return Approvers(rule.name, team=team, users=tuple({p.pk: p for p in people}.values()),
                     quorum=rule.quorum, value=rule.quorum_value)


def approvers_for(change: Change) -> list[Approvers]:
    """The approver groups of every active rule matching `change`; ValidationError if none does."""
    rules = rules_for(change)
    if not rules:
        raise ValidationError(NO_RULE, code="no_approval_rule")
    return [approvers_of(rule) for rule in rules]


# --- Administration --------------------------------------------------------------------------

def _check(rule: ApprovalRule, users, newly: set) -> None:
    """`newly`: the fields given a new value (an inactive team or board is kept, never newly chosen)."""
    errors = {}
    rule.name = (rule.name or "").strip()
    if rule.team_id is None and rule.board_id is None and not users:
        errors["team"] = _("Name the approvers: a team, people or a CAB.")
    if rule.quorum in (Quorum.ANY, Quorum.ALL):
        rule.quorum_value = None
    elif rule.quorum == Quorum.COUNT and not (rule.quorum_value or 0) >= 1:
        errors["quorum_value"] = _("Say how many approvals the group needs (at least 1).")
    elif rule.quorum == Quorum.PERCENT and not 1 <= (rule.quorum_value or 0) <= 100:
        errors["quorum_value"] = _("Give a percentage from 1 to 100.")
    if rule.service_id and not rule.service.ci_type.is_service:
        errors["service"] = _("Not a service: %(item)s.") % {"item": rule.service}
    if rule.team_id and not rule.team.is_active and "team" in newly:
        errors["team"] = _("%(team)s is not active.") % {"team": rule.team}
    if rule.board_id and not rule.board.is_active and "board" in newly:
        errors["board"] = _("%(board)s is not active.") % {"board": rule.board}
    if errors:
        raise ValidationError(errors)


def _split(data: dict) -> tuple[dict, list | None]:
    fields = {k: v for k, v in data.items() if k != "users"}
    users = data.get("users")
    return fields, (list(users) if users is not None else None)


@transaction.atomic
def approval_rule_create(*, actor, data: dict) -> ApprovalRule:
    """Create an approval rule. Administrators only. It chooses approvers for the
    authorisations asked from now on. Side effects: history rows."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, RULE_FIELDS)
    fields, users = _split(data)
    rule = ApprovalRule(**fields)
    _check(rule, users, set(fields))
    rule.full_clean()
    save_with_history(rule, actor=actor, reason="created")
    if users:
        rule.users.set(users)
    return rule


@transaction.atomic
def approval_rule_update(*, actor, rule: ApprovalRule, data: dict) -> ApprovalRule:
    """Change an approval rule (retire it with `is_active=False`: rules are not deleted, their
    history stays). Pending authorisations keep the approvers they were asked from.
    Administrators only. Side effects: history rows."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, RULE_FIELDS)
    fields, users = _split(data)
    locked = ApprovalRule.objects.select_for_update().get(pk=rule.pk)
    newly = {name for name, value in fields.items() if getattr(locked, name) != value}
    apply_fields(locked, fields, RULE_FIELDS)
    _check(locked, users if users is not None else list(locked.users.all()), newly)
    locked.full_clean()
    save_with_history(locked, actor=actor, reason="updated")
    if users is not None:
        locked.users.set(users)
    return locked
