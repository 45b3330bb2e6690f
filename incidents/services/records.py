"""Logging, changing and assigning an incident; its comments and attachments."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.attachments import attachment_add
from itsm.choices import JournalKind
from itsm.events import emit
from itsm.exceptions import NotPermitted
from itsm.journal import journal_add, record_comment
from itsm.models import Team
from itsm.permissions import require
from itsm.records import check_version, record_create, record_save
from itsm.validation import refuse_unknown
from slas.choices import ClockSignal

from ..assignment import apply_default_group
from ..choices import Channel
from ..models import Incident
from ..workflow import CALLERS, INCIDENT_WORKERS
from .common import (
    CREATE_FIELDS,
    EDITABLE_FIELDS,
    PORTAL_FIELDS,
    _assignment_summary,
    _customer_of,
    _journal_assignment,
    _refuse_final,
    _refuse_retired_choices,
    _refuse_unoffered_service,
    _sync_clocks,
    _validate,
    is_worker,
    require_worker_or_caller,
)
from .settings import priority_for
from .states import _mark_first_response


@transaction.atomic
def incident_create(*, actor, data: dict, reason: str = "") -> Incident:
    """Log an incident. The service desk sets any field of CREATE_FIELDS; a requester reports
    for themself (PORTAL_FIELDS, channel portal). Priority comes from the matrix.
    Side effects: history, journal (assignment), events `incident.created` (and
    `incident.assigned` when assigned at once), notifications through the outbox."""
    data = dict(data)
    if is_worker(actor):
        refuse_unknown(data, CREATE_FIELDS)
    else:
        require(actor, CALLERS)
        refuse_unknown(data, PORTAL_FIELDS)
        _refuse_unoffered_service(data.get("service"))
        data.update(caller=actor, channel=Channel.PORTAL)
    _refuse_retired_choices(data)
    cis = data.pop("cis", None)
    incident = Incident(opened_at=timezone.now(), **data)
    if incident.correlation_key:
        incident.alert_count = 1  # the monitoring alert that logs it
    if incident.caller_id and not incident.customer_id:
        incident.customer = _customer_of(incident)
    incident.priority = priority_for(incident.impact, incident.urgency)
    apply_default_group(incident)  # no group given: the assignment rules' (incidents.assignment)
    _validate(incident)
    record_create(incident, actor=actor, reason=reason or "created")
    if cis:
        incident.cis.set(cis)
    if incident.assignment_group_id:
        _journal_assignment(incident, actor, {"group": None, "assignee": None})
    emit("incident.created", record=incident, actor=actor, payload={"priority": incident.priority})
    _sync_clocks(incident, actor, "logged", created=True)
    return incident


@transaction.atomic
def incident_update(*, actor, incident: Incident, data: dict, expected_version: int | None = None,
                    reason: str = "") -> Incident:
    """Change classification and details (EDITABLE_FIELDS, plus assignment_group/assignee).
    A new impact or urgency re-derives the priority. Final incidents are refused.
    Side effects: history, journal (priority, assignment), events `incident.updated`,
    `incident.priority_changed`, `incident.assigned`. Raises StaleRecord."""
    require(actor, INCIDENT_WORKERS)
    refuse_unknown(data, (*EDITABLE_FIELDS, "assignment_group", "assignee"))
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    check_version(locked, expected_version)
    _refuse_final(locked)
    _refuse_retired_choices(data, before=locked)
    data = dict(data)
    cis = data.pop("cis", None)
    before_assignment = _assignment_summary(locked)
    before_priority = locked.priority
    old_group = locked.assignment_group_id
    for name, value in data.items():
        setattr(locked, name, value)
    locked.priority = priority_for(locked.impact, locked.urgency)
    _validate(locked)
    _count_reassignment(locked, old_group)
    changed = sorted(data)
    record_save(locked, actor=actor, reason=reason or "updated")
    if cis is not None:
        locked.cis.set(cis)
    if locked.priority != before_priority:
        journal_add(record=locked, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                    body=_("Priority changed from P%(old)s to P%(new)s") % {"old": before_priority,
                                                                          "new": locked.priority},
                    data={"field": "priority", "from": before_priority, "to": locked.priority})
        emit("incident.priority_changed", record=locked, actor=actor,
             payload={"from": before_priority, "to": locked.priority})
    _journal_assignment(locked, actor, before_assignment)
    emit("incident.updated", record=locked, actor=actor, payload={"fields": changed})
    _sync_clocks(locked, actor, f"P{before_priority} → P{locked.priority}" if locked.priority != before_priority
                 else "updated")
    return locked


def _count_reassignment(incident: Incident, old_group) -> None:
    # A reassignment is a move from one group to another (the first assignment is not one).
    if old_group is not None and incident.assignment_group_id != old_group:
        incident.reassignment_count += 1


@transaction.atomic
def incident_assign(*, actor, incident: Incident, group: Team | None, assignee=None,
                    expected_version: int | None = None, reason: str = "") -> Incident:
    """Assign to a group and optionally one of its members. Side effects: history, journal
    (assignment), event `incident.assigned` (notifies assignee and group). Raises StaleRecord."""
    require(actor, INCIDENT_WORKERS)
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    check_version(locked, expected_version)
    _refuse_final(locked)
    before = _assignment_summary(locked)
    old_group = locked.assignment_group_id
    locked.assignment_group, locked.assignee = group, assignee
    _validate(locked)
    if _assignment_summary(locked) == before:
        return locked
    _count_reassignment(locked, old_group)
    record_save(locked, actor=actor, reason=reason or "assigned")
    _journal_assignment(locked, actor, before)
    _sync_clocks(locked, actor, "assigned")
    return locked


def incident_assign_to_me(*, actor, incident: Incident, expected_version: int | None = None) -> Incident:
    """Take the incident: keep its group if the actor belongs to it, else the actor's first team."""
    require(actor, INCIDENT_WORKERS)
    teams = list(actor.teams.filter(is_active=True).order_by("name"))
    group = next((t for t in teams if t.pk == incident.assignment_group_id), teams[0] if teams else None)
    if group is None:
        raise ValidationError({"assignee": _("You are not a member of any team, so you cannot take incidents.")})
    return incident_assign(actor=actor, incident=incident, group=group, assignee=actor,
                           expected_version=expected_version, reason="assigned to self")


def incident_comment(*, actor, incident: Incident, body: str, internal: bool = False):
    """A comment (visible to the caller) or, for the service desk, an internal work note.
    A service-desk comment is the first response if none was recorded. Side effects:
    journal entry, event `incident.commented` (notifies the assignee when the caller writes).
    A public comment moves the SLA clocks whose targets restart on replies (slas cycles): the
    caller's is a customer reply, the service desk's answers it."""
    require_worker_or_caller(actor, incident)
    worker = is_worker(actor)
    if internal and not worker:
        raise NotPermitted(_("Only the service desk writes work notes."))
    _refuse_final(incident)
    with transaction.atomic():
        entry = record_comment(record=incident, actor=actor, body=body, internal=internal)
        if not internal:
            locked = Incident.objects.select_for_update().get(pk=incident.pk)
            if worker and locked.first_response_at is None:
                _mark_first_response(locked, actor)
                _sync_clocks(locked, actor, "first response (comment)", signal=ClockSignal.RESPONSE)
            elif worker:
                _sync_clocks(locked, actor, "reply (comment)", signal=ClockSignal.RESPONSE)
            else:
                _sync_clocks(locked, actor, "customer reply (comment)", signal=ClockSignal.CUSTOMER_REPLY)
    return entry


def incident_attach(*, actor, incident: Incident, upload):
    """Attach a file (size and type limits in settings). Service desk or the caller.
    Side effects: stored file, journal entry, event `incident.attachment_added`."""
    require_worker_or_caller(actor, incident)
    _refuse_final(incident)
    return attachment_add(record=incident, actor=actor, upload=upload)
