from django.db import models
from simple_history.models import HistoricalRecords

from itsm.choices import Role
from itsm.models import Customer
from itsm.records import Record
from itsm.workflow import Transition, Workflow, requires

WORKERS = (Role.AGENT, Role.TEAM_LEAD, Role.ADMINISTRATOR)


class TicketState(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class Ticket(Record):
    NUMBER_PREFIX = "TKT"

    title = models.CharField(max_length=200)
    state = models.CharField(max_length=20, choices=TicketState.choices, default=TicketState.NEW, db_index=True)
    resolution_code = models.CharField(max_length=50, blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT)

    history = HistoricalRecords()

    workflow = Workflow(
        [
            Transition("start", (TicketState.NEW,), TicketState.IN_PROGRESS, "Start", WORKERS),
            Transition("resolve", (TicketState.NEW, TicketState.IN_PROGRESS), TicketState.RESOLVED, "Resolve",
                       WORKERS, guards=(requires("resolution_code"),), fields=("resolution_code",)),
            Transition("reopen", (TicketState.RESOLVED,), TicketState.IN_PROGRESS, "Reopen", WORKERS),
            Transition("close", (TicketState.RESOLVED,), TicketState.CLOSED, "Close", WORKERS),
            Transition("cancel", (TicketState.NEW, TicketState.IN_PROGRESS), TicketState.CANCELLED, "Cancel",
                       (Role.TEAM_LEAD, Role.ADMINISTRATOR)),
        ],
        final_states=(TicketState.CLOSED, TicketState.CANCELLED),
    )
