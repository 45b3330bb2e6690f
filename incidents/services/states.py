"""An incident's state: workflow steps (resolving a parent resolves its children), the first
response, and the periodic closing of resolved incidents."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.records import record_save
from itsm.services import system_actor
from itsm.workflow import transition_apply
from slas.choices import ClockSignal

from ..choices import OPEN_STATES, IncidentState
from ..models import Incident
from .common import _sync_clocks, require_worker_or_caller

AUTO_CLOSE_BATCH = 500


def incident_transition(*, actor, incident: Incident, name: str, data: dict | None = None, reason: str = "",
                        expected_version: int | None = None) -> Incident:
    """Move the incident through workflow step `name` (see incidents.workflow). Resolving a
    parent resolves its open children with the same resolution code and notes. Side effects: as transition_apply, per
    child too. Raises TransitionNotAllowed, GuardFailed, NotPermitted, StaleRecord."""
    require_worker_or_caller(actor, incident)
    data = data or {}
    with transaction.atomic():
        record = transition_apply(actor=actor, record=incident, name=name, data=data, reason=reason,
                                  expected_version=expected_version)
        _sync_clocks(record, actor, f"{name} → {record.get_state_display()}",
                     signal=ClockSignal.REOPENED if name == "reopen" else "")
        if name == "resolve":
            _resolve_children(record, actor)
    return record


def _mark_first_response(incident: Incident, actor) -> None:
    incident.first_response_at = timezone.now()
    record_save(incident, actor=actor, reason="first response")


def _resolve_children(parent: Incident, actor) -> None:
    children = parent.children.filter(state__in=OPEN_STATES).order_by("pk")
    for child in children:
        child = transition_apply(
            actor=actor, record=child, name="resolve",
            data={"resolution_code": parent.resolution_code, "resolution_notes": parent.resolution_notes},
            reason=_("Resolved with parent incident %(number)s") % {"number": parent.number},
        )
        _sync_clocks(child, actor, f"resolved with {parent.number}")


def close_resolved_incidents(*, now=None, batch_size: int = AUTO_CLOSE_BATCH) -> int:
    """Close incidents resolved more than INCIDENT_AUTO_CLOSE_DAYS ago, as the system account,
    in a bounded batch (the periodic task runs again for the rest). Safe to run twice: a
    closed incident no longer matches. Returns how many were closed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS)
    due = list(Incident.objects.filter(state=IncidentState.RESOLVED, resolved_at__lte=cutoff)
               .order_by("resolved_at").values_list("pk", flat=True)[:batch_size])
    actor, closed = system_actor(), 0
    reason = _("Closed automatically %(days)s days after resolution") % {"days": settings.INCIDENT_AUTO_CLOSE_DAYS}
    for pk in due:
        incident = Incident.objects.get(pk=pk)
        try:
            with transaction.atomic():
                incident = transition_apply(actor=actor, record=incident, name="close", reason=reason)
                _sync_clocks(incident, actor, "closed automatically")
        except Exception:  # noqa: BLE001  one odd record must not stop the batch; it is retried next run
            continue
        closed += 1
    return closed
