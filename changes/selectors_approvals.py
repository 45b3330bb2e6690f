"""Reads of a change's authorisation: its approval requests (itsm.approvals), where each approver
group came from (the rule, the CAB), as which role each approver decided, what awaits a person's
decision, and the approval rules.

Where a group came from is written by changes.services.approvals in a journal entry of the
change when the authorisation is asked (`data.step` "rules": each group's rule and board): the
kernel's groups name no rule, and the CAB needs its own groups back.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Prefetch

from itsm.approval_models import ApprovalDecision, ApprovalGroup, ApprovalRequest, ApprovalState
from itsm.choices import JournalKind
from itsm.models import JournalEntry, User

from .choices import ChangeState
from .models import ApprovalRule, Change
from .selectors import change_list, may_read_changes

PURPOSE = "authorisation"


def change_type() -> ContentType:
    return ContentType.objects.get_for_model(Change)


def authorisation_requests(change_ids):
    """The authorisation requests of the changes `change_ids` (ids or a query of them), oldest first."""
    return ApprovalRequest.objects.filter(content_type=change_type(), object_id__in=change_ids,
                                          purpose=PURPOSE).order_by("requested_at", "id")


def latest_authorisation(change: Change) -> ApprovalRequest | None:
    return authorisation_requests([change.pk]).last()


def pending_authorisation(change: Change) -> ApprovalRequest | None:
    return authorisation_requests([change.pk]).filter(state=ApprovalState.PENDING).last()


def group_origins(change_ids) -> dict[int, dict]:
    """{group id: {"rule": id, "board": id or None}} for the authorisation groups of the changes
    `change_ids` (one query on the journal's timeline index)."""
    entries = JournalEntry.objects.filter(content_type=change_type(), object_id__in=list(change_ids),
                                          kind=JournalKind.APPROVAL, data__step="rules").values_list("data", flat=True)
    origins = {}
    for data in entries:
        for item in data.get("groups", ()):
            origins[item["group"]] = {"rule": item.get("rule"), "board": item.get("board")}
    return origins


def board_groups(change_ids, board_id: int) -> dict[int, list[ApprovalGroup]]:
    """{change id: its pending groups of board `board_id` in pending authorisation requests}."""
    origins = group_origins(change_ids)
    ids = [group_id for group_id, origin in origins.items() if origin["board"] == board_id]
    groups = ApprovalGroup.objects.filter(pk__in=ids, state=ApprovalState.PENDING,
                                          request__state=ApprovalState.PENDING).select_related("request")
    found: dict[int, list] = {}
    for group in groups:
        found.setdefault(group.request.object_id, []).append(group)
    return found


def decision_roles(change: Change) -> dict[tuple[int, int], str]:
    """{(group id, approver id): the role they decided as} from the decisions' journal entries."""
    entries = JournalEntry.objects.filter(content_type=change_type(), object_id=change.pk,
                                          kind=JournalKind.APPROVAL, data__step="decided").values_list("author_id",
                                                                                                        "data")
    return {(data.get("group"), author): data.get("role", "") for author, data in entries}


def settlements(change: Change) -> dict[int, dict]:
    """{group id: journal data of a decision a CAB meeting took for the whole group}."""
    entries = JournalEntry.objects.filter(content_type=change_type(), object_id=change.pk,
                                          kind=JournalKind.APPROVAL, data__step="settled").select_related("author")
    return {entry.data.get("group"): {**entry.data, "recorded_by": entry.author, "at": entry.created_at}
            for entry in entries}


def open_groups_for(user):
    """Pending authorisation groups of changes under authorisation in which `user` may still
    decide: a member, not excluded, not decided yet (the kernel's members and excluded tables,
    each read by its user index)."""
    requests = ApprovalRequest.objects.filter(content_type=change_type(), purpose=PURPOSE,
                                              state=ApprovalState.PENDING)
    excluded = ApprovalRequest.excluded.through.objects.filter(approvalrequest_id=OuterRef("request_id"),
                                                               user_id=user.pk)
    decided = ApprovalDecision.objects.filter(group_id=OuterRef("pk"), approver_id=user.pk)
    return (ApprovalGroup.objects.filter(members=user, state=ApprovalState.PENDING, request__in=requests)
            .exclude(Exists(excluded)).exclude(Exists(decided)))


def awaiting_approval(user):
    """Changes under authorisation awaiting `user`'s decision, oldest request first, each with
    `awaiting_groups` (the groups they may decide in): two queries however many there are."""
    if not may_read_changes(user):
        return []
    groups = list(open_groups_for(user).select_related("request").order_by("request__requested_at", "pk"))
    by_change: dict[int, list] = {}
    for group in groups:
        by_change.setdefault(group.request.object_id, []).append(group)
    if not by_change:
        return []
    changes = {change.pk: change for change in change_list(user).filter(pk__in=list(by_change),
                                                                           state=ChangeState.AUTHORISATION)}
    result = []
    for change_id, change_groups in by_change.items():
        change = changes.get(change_id)
        if change is not None:
            change.awaiting_groups = change_groups
            result.append(change)
    return result


def approval_rule_list(user):
    """Approval rules: staff read them (who authorises what); administrators change them."""
    if not may_read_changes(user):
        return ApprovalRule.objects.none()
    return ApprovalRule.objects.select_related("service", "team", "board").prefetch_related(
        Prefetch("users", queryset=User.objects.order_by("username"), to_attr="user_list")).order_by("order", "id")
