"""Major incidents: declaring and ending the status, and the communications to stakeholders."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from itsm.choices import JournalKind
from itsm.events import emit
from itsm.journal import journal_add
from itsm.permissions import require
from itsm.records import check_version, record_save

from ..models import Incident
from ..workflow import INCIDENT_WORKERS
from .common import _refuse_final


@transaction.atomic
def incident_promote_major(*, actor, incident: Incident, reason: str,
                           expected_version: int | None = None) -> Incident:
    """Declare a major incident. Side effects: history, journal, event `incident.major_promoted`
    (notifies the team leads)."""
    require(actor, INCIDENT_WORKERS)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this is a major incident.")})
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    check_version(locked, expected_version)
    _refuse_final(locked)
    if locked.is_major:
        raise ValidationError(_("%(number)s is already a major incident.") % {"number": locked.number})
    locked.is_major, locked.major_reason = True, reason.strip()
    record_save(locked, actor=actor, reason="promoted to major incident")
    journal_add(record=locked, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                body=_("Promoted to major incident: %(reason)s") % {"reason": locked.major_reason},
                data={"major": True})
    emit("incident.major_promoted", record=locked, actor=actor, payload={"reason": locked.major_reason})
    return locked


@transaction.atomic
def incident_demote_major(*, actor, incident: Incident, reason: str,
                          expected_version: int | None = None) -> Incident:
    """End the major-incident status (e.g. declared by mistake). Side effects: history, journal."""
    require(actor, INCIDENT_WORKERS)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this is no longer a major incident.")})
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    check_version(locked, expected_version)
    if not locked.is_major:
        raise ValidationError(_("%(number)s is not a major incident.") % {"number": locked.number})
    locked.is_major = False
    record_save(locked, actor=actor, reason="major incident status removed")
    journal_add(record=locked, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                body=_("No longer a major incident: %(reason)s") % {"reason": reason.strip()},
                data={"major": False})
    emit("incident.major_demoted", record=locked, actor=actor, payload={"reason": reason.strip()})
    return locked


def incident_communicate(*, actor, incident: Incident, body: str, audience: str = "stakeholders"):
    """Record a major-incident communication (status update to stakeholders) on the timeline.
    Refused on an incident that is not (or no longer) major. Side effects: public journal
    entry, event `incident.communication`."""
    require(actor, INCIDENT_WORKERS)
    if not Incident.objects.filter(pk=incident.pk, is_major=True).exists():  # as it is now, not as read
        raise ValidationError(_("Communications are for major incidents."))
    if not body.strip():
        raise ValidationError({"body": _("Write the communication first.")})
    with transaction.atomic():
        entry = journal_add(record=incident, actor=actor, kind=JournalKind.COMMENT, is_public=True,
                            body=body.strip(), data={"communication": True, "audience": audience})
        emit("incident.communication", record=incident, actor=actor, payload={"entry": entry.pk})
    return entry
