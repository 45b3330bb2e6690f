"""Collision detection of a change's planned window: what is found (changes.services.collisions)
is stored as the change's current conflicts, each with its cause and what the policy
(settings.CHANGE_CONFLICT_POLICY: block / override / warn per kind) makes of it.

A conflict is recognised across checks by its `key` ("same_ci:<other change>",
"related_ci:<other change>", "blackout:<window>:<occurrence start>", "outside_maintenance:<CI>"):
one still found keeps its detection time and its override (who, when, why); one no longer found
is cleared (`cleared_at`), never deleted. Newly found conflicts emit `change.conflict_found`
(payload `conflicts`: their causes, `found`: id, kind, key, policy of each; changes/notifications.py
routes it) and write a journal entry.
"""

from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from itsm.choices import JournalKind
from itsm.events import emit
from itsm.journal import journal_add
from itsm.permissions import require
from itsm.records import record_save

from ..choices import ChangeState, ConflictKind, ConflictPolicy
from ..models import Change, ChangeConflict
from ..workflow import CHANGE_MANAGERS, CHANGE_WORKERS
from .collisions import Found, find, subjects_of

BATCH = 200  # scheduled changes re-checked per transaction by the beat
UPDATED_FIELDS = ("detail", "blocking", "needs_override", "starts_at", "ends_at", "ci_id", "window_id",
                  "other_change_id")


def policy_of(kind: str) -> str:
    return settings.CHANGE_CONFLICT_POLICY.get(kind, ConflictPolicy.WARN)


def current_conflicts(change: Change):
    """The change's current (not cleared) conflicts, blocking ones first, with who overrode them."""
    return (ChangeConflict.objects.filter(change_id=change.pk, cleared_at__isnull=True)
            .select_related("overridden_by", "other_change", "window", "ci")
            .order_by("-blocking", "-needs_override", "kind", "starts_at", "id"))


def conflicts_refresh(change: Change, *, actor=None) -> list:
    """Detect the change's conflicts now, store them (ChangeConflict) and return the current ones.
    The window is read from `change` as given (the caller may have just set it on the locked row);
    its CIs and services from the database. No window: every conflict is cleared."""
    found = _found_for([change]).get(change.pk, [])
    with transaction.atomic():
        new = _store({change.pk: change}, {change.pk: found})
        _announce(new, actor)
    return list(current_conflicts(change))


def _found_for(changes) -> dict[int, list[Found]]:
    windows = [(c.pk, c.planned_start, c.planned_end) for c in changes
               if c.planned_start is not None and c.planned_end is not None and c.planned_end > c.planned_start]
    if not windows:
        return {}
    with translation.override(settings.LANGUAGE_CODE):  # stored causes read the same whoever checked
        return find(subjects_of(windows))


def _store(changes: dict, found: dict) -> dict:
    """Write the conflicts found for each change of `changes` ({id: change}), clear the ones no
    longer found; {change: [new ChangeConflict]} for the changes with new conflicts."""
    now = timezone.now()
    existing: dict[int, dict[str, ChangeConflict]] = {}
    for conflict in ChangeConflict.objects.filter(change_id__in=list(changes), cleared_at__isnull=True):
        existing.setdefault(conflict.change_id, {})[conflict.key] = conflict
    created, updated, cleared, new = [], [], [], {}
    for pk, change in changes.items():
        kept = existing.get(pk, {})
        for item in found.get(pk, []):
            row = kept.pop(item.key, None)
            if row is None:
                row = ChangeConflict(change_id=pk, key=item.key, kind=item.kind, detected_at=now)
                _fill(row, item)
                created.append(row)
                new.setdefault(change, []).append(row)
            elif _fill(row, item):
                updated.append(row)
        cleared.extend(row.pk for row in kept.values())
    ChangeConflict.objects.bulk_create(created)
    ChangeConflict.objects.bulk_update(updated, UPDATED_FIELDS)
    if cleared:
        ChangeConflict.objects.filter(pk__in=cleared).update(cleared_at=now)
    return new


def _fill(row: ChangeConflict, item: Found) -> bool:
    """Set what the check found on `row` (policy included); whether anything changed."""
    policy = policy_of(item.kind)
    values = {"detail": item.detail, "blocking": policy == ConflictPolicy.BLOCK,
              "needs_override": policy == ConflictPolicy.OVERRIDE, "starts_at": item.starts_at,
              "ends_at": item.ends_at, "ci_id": item.ci_id, "window_id": item.window_id,
              "other_change_id": item.other_change_id}
    changed = any(getattr(row, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(row, name, value)
    return changed


def _announce(new: dict, actor) -> None:
    """A journal entry and a `change.conflict_found` event per change with new conflicts."""
    for change, rows in new.items():
        found = [{"id": row.pk, "kind": row.kind, "key": row.key, "blocking": row.blocking,
                  "needs_override": row.needs_override} for row in rows]
        journal_add(record=change, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                    body=ngettext("Conflict found: %(causes)s", "Conflicts found: %(causes)s", len(rows))
                    % {"causes": " ".join(row.detail for row in rows)},
                    data={"conflicts": [row.pk for row in rows]})
        emit("change.conflict_found", record=change, actor=actor,
             payload={"conflicts": [row.detail for row in rows], "found": found})


def conflicts_preview(change: Change, *, planned_start, planned_end) -> list[dict]:
    """What a check of `change` with this window would find, nothing stored (the schedule form
    shows it): kind, cause, what the policy makes of it, whether it is overridden already."""
    window = SimpleNamespace(pk=change.pk, planned_start=planned_start, planned_end=planned_end)
    found = _found_for([window]).get(change.pk, [])
    if not found:
        return []
    overridden = set(ChangeConflict.objects.filter(change_id=change.pk, cleared_at__isnull=True,
                                                   overridden_at__isnull=False).values_list("key", flat=True))
    return [{"kind": item.kind, "kind_label": ConflictKind(item.kind).label, "detail": item.detail,
             "policy": policy_of(item.kind), "overridden": item.key in overridden} for item in found]


def scheduling_refusal(change: Change, *, override_reason: str = "") -> dict:
    """Field errors if the change's current conflicts forbid scheduling it: {"conflicts": ...}
    for blocking ones, {"override_reason": ...} for ones that need an override (not yet given)
    when no reason is given; {} when it may be scheduled."""
    current = list(ChangeConflict.objects.filter(change_id=change.pk, cleared_at__isnull=True).order_by("id"))
    blocking = [c.detail for c in current if c.blocking]
    if blocking:
        return {"conflicts": _("Scheduling is blocked: %(causes)s") % {"causes": " ".join(blocking)}}
    pending = [c.detail for c in current if c.needs_override and c.overridden_at is None]
    if pending and not (override_reason or "").strip():
        return {"override_reason": _("These conflicts need an override: say why the change goes ahead anyway. "
                                     "%(causes)s") % {"causes": " ".join(pending)}}
    return {}


def record_override(change: Change, *, actor, reason: str) -> None:
    """Mark the change's current conflicts that need an override as overridden by `actor` for
    `reason`, and keep the override on the change (who, when, why; history and journal). Called
    by change_transition after the schedule step, on the row it locked. Nothing to override:
    nothing written."""
    require(actor, CHANGE_WORKERS)
    reason = (reason or "").strip()
    pending = ChangeConflict.objects.filter(change_id=change.pk, cleared_at__isnull=True, needs_override=True,
                                            overridden_at__isnull=True)
    details = list(pending.values_list("detail", flat=True))
    if not reason or not details:
        return
    now = timezone.now()
    pending.update(overridden_at=now, overridden_by=actor, override_reason=reason)
    change.conflict_override_reason, change.conflict_overridden_by, change.conflict_overridden_at = reason, actor, now
    record_save(change, actor=actor, reason="conflicts overridden")
    journal_add(record=change, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                body=_("Scheduled despite conflicts: %(reason)s") % {"reason": reason},
                data={"override": reason, "conflicts": details})
    emit("change.conflicts_overridden", record=change, actor=actor,
         payload={"reason": reason, "conflicts": details})


@transaction.atomic
def conflicts_override(change: Change, *, actor, reason: str) -> list:
    """Override, for `reason`, the change's current conflicts that need one and have none: ones
    found after it was scheduled (the beat's re-check, another change planned since), which would
    otherwise stop its implementation from starting. Change managers. Returns the current ones."""
    require(actor, CHANGE_MANAGERS)
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the change goes ahead despite its conflicts.")})
    if not ChangeConflict.objects.filter(change_id=locked.pk, cleared_at__isnull=True, needs_override=True,
                                         overridden_at__isnull=True).exists():
        raise ValidationError({"reason": _("No conflict of this change is waiting for an override.")})
    record_override(locked, actor=actor, reason=reason)
    return list(current_conflicts(locked))


@transaction.atomic
def conflicts_recheck(change: Change, *, actor) -> list:
    """Check the change's conflicts again now (someone asked on its page or through the API)."""
    require(actor, CHANGE_WORKERS)
    locked = Change.objects.select_for_update().get(pk=change.pk)
    return conflicts_refresh(locked, actor=actor)


def conflicts_recheck_scheduled() -> int:
    """Re-check every scheduled change whose window has not ended (the beat, every 15 min):
    BATCH changes a transaction, their rows locked (one being edited right now is skipped: its
    editor's check runs anyway). Returns how many changes have new conflicts."""
    from itsm.services import system_actor

    ids = list(Change.objects.filter(state=ChangeState.SCHEDULED, planned_end__gt=timezone.now())
               .order_by("planned_start", "pk").values_list("pk", flat=True))
    actor, flagged = system_actor(), 0
    for first in range(0, len(ids), BATCH):
        flagged += _recheck_batch(ids[first:first + BATCH], actor)
    return flagged


@transaction.atomic
def _recheck_batch(ids: list, actor) -> int:
    changes = {c.pk: c for c in Change.objects.select_for_update(skip_locked=True)
               .filter(pk__in=ids, state=ChangeState.SCHEDULED)}
    new = _store(changes, _found_for(changes.values()))
    _announce(new, actor)
    return len(new)
