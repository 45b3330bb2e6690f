import pytest
from django.core.exceptions import ValidationError

from itsm import events
from itsm.choices import JournalKind
from itsm.journal import journal_for, record_comment
from itsm.models import DomainEvent, OutboxMessage
from tests.assertions import assert_nothing_written
from tests.kernel_app.factories import make_ticket

pytestmark = pytest.mark.django_db


def test_comments_work_notes_and_state_changes_share_one_timeline_in_order(agent):
    ticket = make_ticket(agent)
    record_comment(record=ticket, actor=agent, body="We are looking into it", internal=False)
    record_comment(record=ticket, actor=agent, body="Suspect the relay", internal=True)

    timeline = list(journal_for(ticket, agent))

    assert [(e.kind, e.body) for e in timeline] == [
        (JournalKind.COMMENT, "We are looking into it"),
        (JournalKind.WORK_NOTE, "Suspect the relay"),
    ]


def test_requesters_see_customer_visible_entries_only(agent, requester):
    ticket = make_ticket(agent)
    record_comment(record=ticket, actor=agent, body="Public answer", internal=False)
    record_comment(record=ticket, actor=agent, body="Internal note", internal=True)

    assert [e.body for e in journal_for(ticket, requester)] == ["Public answer"]


def test_an_empty_comment_is_refused(agent):
    with pytest.raises(ValidationError):
        record_comment(record=make_ticket(agent), actor=agent, body="   ", internal=False)


def test_handlers_run_only_after_commit(agent, django_capture_on_commit_callbacks):
    seen = []
    events.on_event("ticket.commented")(lambda event: seen.append(event.payload["internal"]))
    try:
        ticket = make_ticket(agent)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            record_comment(record=ticket, actor=agent, body="hello", internal=True)
        assert seen == []  # not yet committed
        for callback in callbacks:
            callback()
        assert seen == [True]
        assert DomainEvent.objects.filter(name="ticket.commented", object_id=ticket.pk).count() == 1
    finally:
        events._handlers["ticket.commented"].clear()


def test_a_failing_handler_does_not_stop_the_others(agent, django_capture_on_commit_callbacks):
    seen = []

    def broken(event):
        raise RuntimeError("boom")

    events.on_event("ticket.created")(broken)
    events.on_event("ticket.created")(lambda event: seen.append(event.pk))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            make_ticket(agent)
        assert len(seen) == 1
    finally:
        events._handlers["ticket.created"].clear()


def test_routed_events_write_outbox_rows_in_the_same_transaction(agent):
    events.route_to_outbox("ticket.created", "email",
                           lambda e: {"to": ["desk@example.com"], "subject": e.payload["title"], "body": "new"})
    try:
        make_ticket(agent, title="Routed")
        message = OutboxMessage.objects.get()
        assert message.payload["subject"] == "Routed" and message.event.name == "ticket.created"
    finally:
        events._routes["ticket.created"].clear()


def test_a_failed_write_leaves_neither_event_nor_outbox_row(agent):
    from django.db import transaction

    events.route_to_outbox("ticket.created", "email", lambda e: {"to": ["x@example.com"], "subject": "s", "body": ""})
    try:
        with assert_nothing_written(), pytest.raises(RuntimeError), transaction.atomic():
            make_ticket(agent)
            raise RuntimeError("the rest of the service failed")
    finally:
        events._routes["ticket.created"].clear()


def test_emit_many_records_each_event_routes_it_and_runs_handlers_after_commit(agent,
                                                                               django_capture_on_commit_callbacks):
    tickets = [make_ticket(agent, title=f"Bulk {n}") for n in range(3)]
    seen = []
    events.route_to_outbox("ticket.imported", "email",
                           lambda e: {"to": ["desk@example.com"], "subject": e.payload["title"], "body": ""})
    events.on_event("ticket.imported")(lambda event: seen.append(event.object_id))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            emitted = events.emit_many("ticket.imported", tickets, actor=agent,
                                       payloads=[{"title": t.title} for t in tickets])
        assert [e.object_id for e in emitted] == [t.pk for t in tickets]
        assert DomainEvent.objects.filter(name="ticket.imported").count() == 3
        assert sorted(OutboxMessage.objects.values_list("payload__subject", flat=True)) == ["Bulk 0", "Bulk 1",
                                                                                           "Bulk 2"]
        assert seen == [t.pk for t in tickets]
    finally:
        events._routes["ticket.imported"].clear()
        events._handlers["ticket.imported"].clear()
