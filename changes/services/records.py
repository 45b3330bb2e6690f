"""Raising, editing and assigning a change; its comments, attachments and links."""

from django.db import transaction
from django.utils import timezone

from itsm.attachments import attachment_add
from itsm.events import emit
from itsm.journal import record_comment
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
