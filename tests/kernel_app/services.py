"""The example app's writes: each service checks the actor with `require`, refuses unknown
input and saves through the record helpers, as every app's services do (docs/kernel.md)."""

from django.db import transaction

from itsm.events import emit
from itsm.permissions import require
from itsm.records import record_create, record_save
from itsm.validation import apply_fields

from .models import WORKERS, Ticket

FIELDS = ("title", "customer")


@transaction.atomic
def ticket_create(*, actor, data: dict, reason: str = "") -> Ticket:
    require(actor, WORKERS)
    ticket = Ticket()
    apply_fields(ticket, data, FIELDS)
    record_create(ticket, actor=actor, reason=reason)
    emit("ticket.created", record=ticket, actor=actor, payload={"title": ticket.title})
    return ticket


@transaction.atomic
def ticket_update(*, actor, ticket: Ticket, data: dict, expected_version: int | None = None) -> Ticket:
    require(actor, WORKERS)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    apply_fields(ticket, data, FIELDS)
    return record_save(ticket, actor=actor, reason="updated", expected_version=expected_version)
