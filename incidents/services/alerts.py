"""Monitoring alerts: one open incident per correlation key, repeats counted on it."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from itsm.choices import JournalKind
from itsm.events import emit
from itsm.journal import journal_add
from itsm.permissions import require
from itsm.records import save_with_history

from ..choices import OPEN_STATES, Channel
from ..models import Incident
from ..workflow import INCIDENT_WORKERS
from .records import incident_create


@dataclass(frozen=True)
class AlertOutcome:
    incident: Incident
    created: bool


def incident_report_alert(*, actor, correlation_key: str, data: dict) -> AlertOutcome:
    """A monitoring alert: a new incident, or, while an incident with the same correlation key
    is open, one more line on its timeline (and `alert_count` + 1). Concurrent alerts with one
    key create one incident: the database refuses a second open incident with that key.
    Side effects: as incident_create, or journal entry + event `incident.alert_repeated`."""
    require(actor, INCIDENT_WORKERS)
    key = correlation_key.strip()
    if not key:
        raise ValidationError({"correlation_key": _("A correlation key is required.")})
    for _attempt in range(3):
        try:
            with transaction.atomic():
                existing = Incident.objects.select_for_update().filter(correlation_key=key, state__in=OPEN_STATES).first()
                if existing is not None:
                    return AlertOutcome(_repeat_alert(existing, actor, data), created=False)
                incident = incident_create(
                    actor=actor, data={**data, "correlation_key": key, "channel": Channel.MONITORING},
                    reason="created by monitoring alert",
                )
                return AlertOutcome(incident, created=True)
        except IntegrityError:
            continue  # a concurrent alert created it first: join that incident on the next try
        except ValidationError:
            # full_clean checks the one-open-incident-per-key constraint too, and may see the incident
            # a concurrent alert has just committed: join it on the next try as well.
            if not Incident.objects.filter(correlation_key=key, state__in=OPEN_STATES).exists():
                raise
    raise ValidationError({"correlation_key": _("Could not record the alert; try again.")})


def _repeat_alert(incident: Incident, actor, data: dict) -> Incident:
    incident.alert_count += 1
    # alert_count is a counter, not a decision: no new version (an agent editing the incident is not
    # told to reload for it), but a history row like every write (the row is locked and fresh).
    save_with_history(incident, actor=actor, reason="alert repeated")
    journal_add(record=incident, actor=actor, kind=JournalKind.SYSTEM, is_public=False,
                body=data.get("description") or data.get("short_description", ""),
                data={"alert": incident.alert_count, "short_description": data.get("short_description", "")})
    emit("incident.alert_repeated", record=incident, actor=actor, payload={"alert_count": incident.alert_count})
    return incident
