"""Raising, editing and assigning a change; its comments, attachments and links."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.attachments import attachment_add
from itsm.choices import JournalKind
from itsm.events import emit
from itsm.journal import journal_add, record_comment
from itsm.permissions import require
from itsm.records import check_version, record_create, record_save
from itsm.validation import refuse_unknown

from ..choices import SCHEDULING_STATES, ChangeSource
from ..models import Change
from ..workflow import CHANGE_WORKERS
from . import approvals, conflicts
from .common import (
    CREATE_FIELDS,
    EDITABLE_FIELDS,
    M2M_FIELDS,
    MATERIAL_FIELDS,
    assignment_summary,
    impact_of,
    journal_assignment,
    refuse_final,
    refuse_model_change,
    validate,
)


def _split(data: dict) -> tuple[dict, dict]:
    fields = {k: v for k, v in data.items() if k not in M2M_FIELDS}
    m2m = {k: list(v) for k, v in data.items() if k in M2M_FIELDS and v is not None}
    return fields, m2m


def _set_impact(change: Change, cis, services) -> set:
    impacted, customers, impact = impact_of(cis, services)
    change.impacted_customer_count, change.impact = customers, impact
    return impacted


@transaction.atomic
def change_create(*, actor, data: dict, template=None, source: str = ChangeSource.MANUAL,
                  reason: str = "") -> Change:
    """Raise a change (CREATE_FIELDS; the requester defaults to the actor). `template`: a
    standard-change template already checked by its service (catalogue). Side effects: history,
    journal (assignment), impacted services, event `change.created`."""
    require(actor, CHANGE_WORKERS)
    refuse_unknown(data, CREATE_FIELDS)
    fields, m2m = _split(data)
    fields.setdefault("requester", actor)
    change = Change(opened_at=timezone.now(), template=template, source=source, **fields)
    validate(change, m2m)
    impacted = _set_impact(change, m2m.get("cis", ()), m2m.get("services", ()))
    record_create(change, actor=actor, reason=reason or "created")
    for name, values in m2m.items():
        getattr(change, name).set(values)
    change.impacted_services.set(impacted)
    if change.assignment_group_id or change.implementer_id:
        journal_assignment(change, actor, {"group": None, "implementer": None})
    emit("change.created", record=change, actor=actor, payload={"model": change.change_model})
    return change


@transaction.atomic
def change_update(*, actor, change: Change, data: dict, expected_version: int | None = None,
                  reason: str = "") -> Change:
    """Edit a change (EDITABLE_FIELDS). A material edit (window, CIs, services, plans) of a change
    under authorisation or scheduled voids its approval and asks again (changes.services.approvals);
    a new window or new CIs re-check its conflicts. Final changes are refused. Raises StaleRecord."""
    require(actor, CHANGE_WORKERS)
    refuse_unknown(data, EDITABLE_FIELDS)
    locked = Change.objects.select_for_update().get(pk=change.pk)
    check_version(locked, expected_version)
    refuse_final(locked)
    refuse_model_change(locked, data)
    fields, m2m = _split(data)
    before = assignment_summary(locked)
    changed = _changed_names(locked, fields, m2m)
    for name, value in fields.items():
        setattr(locked, name, value)
    validate(locked, m2m)
    impacted = None
    if {"cis", "services"} & changed:
        impacted = _set_impact(locked, m2m.get("cis", locked.cis.all()), m2m.get("services", locked.services.all()))
    record_save(locked, actor=actor, reason=reason or "updated")
    for name, values in m2m.items():
        getattr(locked, name).set(values)
    if impacted is not None:
        locked.impacted_services.set(impacted)
    journal_assignment(locked, actor, before)
    emit("change.updated", record=locked, actor=actor, payload={"fields": sorted(changed)})
    material = changed & set(MATERIAL_FIELDS)
    if material:
        locked = approvals.on_material_edit(locked, actor=actor, fields=sorted(material))
        if locked.state in SCHEDULING_STATES and material & {"planned_start", "planned_end", "cis", "services"}:
            conflicts.conflicts_refresh(locked, actor=actor)
    return locked


def _changed_names(change: Change, fields: dict, m2m: dict) -> set:
    changed = {name for name, value in fields.items() if getattr(change, name) != value}
    for name, values in m2m.items():
        if {v.pk for v in values} != set(getattr(change, name).values_list("pk", flat=True)):
            changed.add(name)
    return changed


def change_assign(*, actor, change: Change, group, implementer=None, expected_version: int | None = None,
                  reason: str = "") -> Change:
    """Assign to a group and, optionally, one of its members as implementer."""
    return change_update(actor=actor, change=change, expected_version=expected_version, reason=reason or "assigned",
                         data={"assignment_group": group, "implementer": implementer})


def change_comment(*, actor, change: Change, body: str, internal: bool = False):
    """A comment or an internal work note on the change's timeline."""
    require(actor, CHANGE_WORKERS)
    refuse_final(change)
    return record_comment(record=change, actor=actor, body=body, internal=internal)


def change_attach(*, actor, change: Change, upload):
    """Attach a file (size and type limits in settings) to the change."""
    require(actor, CHANGE_WORKERS)
    refuse_final(change)
    return attachment_add(record=change, actor=actor, upload=upload)


# --- links: the problems a change fixes, the incidents it caused --------------------------------
# A change's caused incidents come to light after it is implemented, often after it closed: they
# are linked in any state. The problems it fixes are named while the change is still open.

def _link_texts(field: str, change: Change, other, *, linked: bool) -> tuple[str, str]:
    """(on the change, on the other record) for a link of `field` made or undone."""
    values = {"change": change.number, "number": other.number}
    if field == "problems":
        if linked:
            return _("Fixes problem %(number)s") % values, _("Change %(change)s fixes this problem") % values
        return _("No longer fixes problem %(number)s") % values, _("Change %(change)s unlinked") % values
    if linked:
        return _("Caused incident %(number)s") % values, _("Caused by change %(change)s") % values
    return _("No longer linked to incident %(number)s") % values, _("Change %(change)s unlinked") % values


def _journal_link(field: str, change: Change, other, actor, *, linked: bool) -> None:
    on_change, on_other = _link_texts(field, change, other, linked=linked)
    data = {"change_link": {"field": field, "change": change.pk, "record": other.pk, "linked": linked}}
    journal_add(record=change, actor=actor, kind=JournalKind.SYSTEM, is_public=False, body=on_change, data=data)
    journal_add(record=other, actor=actor, kind=JournalKind.SYSTEM, is_public=False, body=on_other, data=data)


def _lock_for_links(change: Change, field: str) -> Change:
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if field == "problems":
        refuse_final(locked)
    return locked


def _link(*, actor, change: Change, field: str, records, event: str) -> list:
    require(actor, CHANGE_WORKERS)
    locked = _lock_for_links(change, field)
    chosen = {record.pk: record for record in records}
    if not chosen:
        raise ValidationError({field: _("Choose at least one.")})
    present = set(getattr(locked, field).filter(pk__in=list(chosen)).values_list("pk", flat=True))
    new = [record for pk, record in sorted(chosen.items()) if pk not in present]
    if not new:
        return []
    numbers = ", ".join(record.number for record in new)
    record_save(locked, actor=actor, reason=f"linked {numbers}")
    getattr(locked, field).add(*new)
    for record in new:
        _journal_link(field, locked, record, actor, linked=True)
    emit(event, record=locked, actor=actor, payload={field: [record.pk for record in new]})
    return new


def _unlink(*, actor, change: Change, field: str, record, event: str) -> Change:
    require(actor, CHANGE_WORKERS)
    locked = _lock_for_links(change, field)
    if not getattr(locked, field).filter(pk=record.pk).exists():
        raise ValidationError({field: _("%(number)s is not linked to %(change)s.") % {
            "number": record.number, "change": locked.number}})
    record_save(locked, actor=actor, reason=f"unlinked {record.number}")
    getattr(locked, field).remove(record)
    _journal_link(field, locked, record, actor, linked=False)
    emit(event, record=locked, actor=actor, payload={field: [record.pk]})
    return locked


@transaction.atomic
def change_link_problems(*, actor, change: Change, problems) -> list:
    """Link the problems the change fixes (ones linked already are skipped; a final change is
    refused). Journal entries on both sides, history, event `change.problems_linked`. Returns the
    problems newly linked."""
    return _link(actor=actor, change=change, field="problems", records=problems, event="change.problems_linked")


@transaction.atomic
def change_unlink_problem(*, actor, change: Change, problem) -> Change:
    """Undo a problem link (journal on both sides, event `change.problem_unlinked`)."""
    return _unlink(actor=actor, change=change, field="problems", record=problem, event="change.problem_unlinked")


@transaction.atomic
def change_link_incidents(*, actor, change: Change, incidents) -> list:
    """Link incidents the change caused, in any state (they surface after it is implemented).
    Journal entries on both sides, history, event `change.incidents_linked`. Returns the newly linked."""
    return _link(actor=actor, change=change, field="caused_incidents", records=incidents,
                 event="change.incidents_linked")


@transaction.atomic
def change_unlink_incident(*, actor, change: Change, incident) -> Change:
    """Undo a caused-incident link (journal on both sides, event `change.incident_unlinked`)."""
    return _unlink(actor=actor, change=change, field="caused_incidents", record=incident,
                   event="change.incident_unlinked")
