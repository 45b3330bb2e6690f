"""Bulk actions of the queue: one service call and transaction per incident."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from itsm.exceptions import DomainError, messages_of
from itsm.permissions import require

from ..models import Incident
from ..workflow import INCIDENT_WORKERS
from .records import incident_assign
from .states import incident_transition


@dataclass(frozen=True)
class BulkResult:
    incident: Incident
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def incidents_bulk(*, actor, incidents, operation: str, **kwargs) -> list[BulkResult]:
    """Apply one operation ("assign" with group/assignee, or "transition" with name/data/reason)
    to each incident, each through its own service call and transaction: one refusal does not
    undo the others, and every change is recorded like a single one."""
    require(actor, INCIDENT_WORKERS)
    results = []
    for incident in incidents:
        try:
            if operation == "assign":
                incident_assign(actor=actor, incident=incident, group=kwargs["group"],
                                assignee=kwargs.get("assignee"), reason="bulk assignment")
            elif operation == "transition":
                incident_transition(actor=actor, incident=incident, name=kwargs["name"],
                                    data=kwargs.get("data"), reason=kwargs.get("reason", ""))
            else:
                raise ValueError(f"unknown bulk operation {operation!r}")
        except (ValidationError, DomainError) as exc:
            results.append(BulkResult(incident, " ".join(messages_of(exc, field_names=False))))
        else:
            results.append(BulkResult(incident))
    return results
