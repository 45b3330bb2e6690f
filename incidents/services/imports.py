"""Historical import: an incident from another tool written as it was there (administrators)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from itsm.choices import JournalKind
from itsm.events import emit
from itsm.journal import journal_add
from itsm.permissions import ADMIN_ROLES, require
from itsm.records import next_number, save_with_history
from itsm.validation import refuse_unknown

from ..choices import OPEN_STATES, IncidentState
from ..models import Incident
from .common import EDITABLE_FIELDS, _customer_of, _validate
from .settings import priority_for

IMPORT_FIELDS = (*EDITABLE_FIELDS, "assignment_group", "assignee", "priority", "state", "on_hold_reason",
                 "resolution_code", "resolution_notes", "opened_at", "first_response_at", "resolved_at",
                 "closed_at", "updated_at", "external_id", "is_major", "major_reason")


# Historical imports are the administrators'.
IMPORTERS = ADMIN_ROLES


@transaction.atomic
def incident_import_one(*, actor, data: dict, source: str) -> Incident:
    """Write one incident from another tool as it was there: its state (any, closed included),
    resolution and original instants, with a new INC number. Administrators only. The row is
    written as it stands, not walked through the workflow, and raises no notification.
    Side effects: history row ("imported by <user> from <source>"), SYSTEM journal entry,
    event `incident.imported`."""
    require(actor, IMPORTERS)
    data = dict(data)
    refuse_unknown(data, IMPORT_FIELDS)
    cis = data.pop("cis", None)
    updated_at = data.pop("updated_at", None)
    incident = Incident(**data)
    errors = {}
    incident.external_id = (incident.external_id or "").strip()
    if not incident.external_id:
        errors["external_id"] = _("The external ID (the number in the old tool) is required.")
    elif Incident.objects.filter(external_id=incident.external_id).exists():
        errors["external_id"] = _("An incident with external ID %(id)s was already imported.") % {
            "id": incident.external_id}
    if not incident.opened_at:
        errors["opened_at"] = _("The opening instant is required.")
    else:
        for name in ("first_response_at", "resolved_at", "closed_at", "updated_at"):
            value = updated_at if name == "updated_at" else getattr(incident, name)
            if value and value < incident.opened_at:
                errors[name] = _("This instant is before the incident was opened.")
    state = incident.state
    if state == IncidentState.ON_HOLD and not incident.on_hold_reason:
        errors["on_hold_reason"] = _("An incident on hold needs the on-hold reason.")
    if state in (IncidentState.RESOLVED, IncidentState.CLOSED) and not incident.resolved_at:
        errors["resolved_at"] = _("A resolved or closed incident needs its resolution instant.")
    if state in (IncidentState.CLOSED, IncidentState.CANCELLED) and not incident.closed_at:
        errors["closed_at"] = _("A closed or cancelled incident needs its closing instant.")
    if state in OPEN_STATES and (incident.resolved_at or incident.closed_at):
        errors["state"] = _("An open incident cannot have a resolution or closing instant.")
    if errors:
        raise ValidationError(errors)
    if not data.get("priority"):
        incident.priority = priority_for(incident.impact, incident.urgency)
    if incident.caller_id and not incident.customer_id:
        incident.customer = _customer_of(incident)
    _validate(incident)
    reason = f"imported by {actor.username} from {source}"
    incident.number = next_number(Incident.NUMBER_PREFIX)
    incident.created_by = incident.updated_by = actor
    incident.created_at = incident.opened_at
    incident.updated_at = updated_at or max(
        d for d in (incident.opened_at, incident.first_response_at, incident.resolved_at, incident.closed_at) if d)
    incident.full_clean()
    save_with_history(incident, actor=actor, reason=reason)
    if cis:
        incident.cis.set(cis)
    journal_add(record=incident, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                body=_("Imported by %(user)s from %(source)s (external ID %(id)s)") % {
                    "user": actor.username, "source": source, "id": incident.external_id},
                data={"imported": True, "source": source, "external_id": incident.external_id})
    emit("incident.imported", record=incident, actor=actor, payload={"source": source})
    return incident
