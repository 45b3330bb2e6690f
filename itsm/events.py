"""Domain events: recorded as rows in the writer's transaction, acted on after commit.

Two kinds of subscriber:
- `on_event(name)` handlers run in-process after the transaction commits (cheap reactions,
  never anything that must not be lost);
- `route_to_outbox(name, topic, build)` turns the event into an outbox row *in the same
  transaction*, for work that must leave the process (email, webhooks).
"""

import logging
from collections import defaultdict
from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from .models import DomainEvent
from .outbox import outbox_enqueue

log = logging.getLogger(__name__)

_handlers: dict[str, list[Callable[[DomainEvent], None]]] = defaultdict(list)
_routes: dict[str, list[tuple[str, Callable[[DomainEvent], dict | None]]]] = defaultdict(list)


def on_event(name: str):
    """Register an after-commit handler for event `name` (or "*" for every event)."""

    def register(handler):
        _handlers[name].append(handler)
        return handler

    return register


def route_to_outbox(name: str, topic: str, build: Callable[[DomainEvent], dict | None]) -> None:
    """Write an outbox message of `topic` for each event `name`; `build` may return None to skip."""
    _routes[name].append((topic, build))


def emit(name: str, *, record=None, actor=None, payload: dict | None = None) -> DomainEvent:
    """Record event `name` now; outbox rows now; in-process handlers after commit."""
    event = DomainEvent.objects.create(
        name=name,
        content_type=ContentType.objects.get_for_model(record) if record is not None else None,
        object_id=record.pk if record is not None else None,
        actor=actor,
        payload=payload or {},
    )
    # The record as the emitter holds it, for routes of events that are emitted only right after
    # the record was written in this transaction (they need not read it again); not stored.
    event.emitted_record = record
    _route(event)
    return event


def emit_many(name: str, records: list, *, actor=None, payloads: list[dict]) -> list[DomainEvent]:
    """`emit` for many records of one model at once (bulk imports): one INSERT for all the
    events, then the same outbox routes and after-commit handlers, event by event."""
    if not records:
        return []
    content_type = ContentType.objects.get_for_model(records[0])
    events = DomainEvent.objects.bulk_create([
        DomainEvent(name=name, content_type=content_type, object_id=record.pk, actor=actor, payload=payload)
        for record, payload in zip(records, payloads, strict=True)
    ])
    for event in events:
        _route(event)
    return events


def _route(event: DomainEvent) -> None:
    for topic, build in _routes.get(event.name, ()):
        message = build(event)
        if message is not None:
            outbox_enqueue(topic, message, event=event)
    handlers = [*_handlers.get(event.name, ()), *_handlers.get("*", ())]
    if handlers:
        transaction.on_commit(lambda: _dispatch(event, handlers))


def _dispatch(event: DomainEvent, handlers) -> None:
    for handler in handlers:
        try:
            handler(event)
        except Exception:  # one failing reaction must not stop the others
            log.exception("event handler %s failed for %s", handler.__qualname__, event)
