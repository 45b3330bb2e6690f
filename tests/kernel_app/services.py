from django.db import transaction

from itsm.events import emit
from itsm.exceptions import NotPermitted
from itsm.permissions import may
from itsm.records import record_create, record_save

from .models import WORKERS, Ticket

FIELDS = ("title", "customer")


@transaction.atomic
def ticket_create(*, actor, data: dict, reason: str = "") -> Ticket:
    if not may(actor, WORKERS):
        raise NotPermitted()
    ticket = record_create(Ticket(**{k: v for k, v in data.items() if k in FIELDS}), actor=actor, reason=reason)
    emit("ticket.created", record=ticket, actor=actor, payload={"title": ticket.title})
    return ticket


@transaction.atomic
def ticket_update(*, actor, ticket: Ticket, data: dict, expected_version: int | None = None) -> Ticket:
    if not may(actor, WORKERS):
        raise NotPermitted()
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    for name in FIELDS:
        if name in data:
            setattr(ticket, name, data[name])
    return record_save(ticket, actor=actor, reason="updated", expected_version=expected_version)
