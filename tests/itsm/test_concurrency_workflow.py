"""Two transitions started at the same moment on one record: the row lock (PostgreSQL) or the
database write lock (SQLite) lets the second see the first's outcome."""

import pytest
from django.contrib.contenttypes.models import ContentType

from itsm.choices import JournalKind
from itsm.exceptions import TransitionNotAllowed
from itsm.models import DomainEvent, JournalEntry
from itsm.workflow import transition_apply
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import Ticket, TicketState

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

STEP_TO = {TicketState.RESOLVED: "resolve", TicketState.CANCELLED: "cancel"}


def test_of_two_parallel_transitions_from_the_same_state_only_one_applies(run_concurrently, widen_race, make_user):
    lead = make_user("team_lead")
    ticket = make_ticket(lead)  # new: both "resolve" and "cancel" start from here
    widen_race("itsm.workflow.record_save")  # both are inside their transaction before either commits

    # when one person resolves it while another cancels it
    outcomes = run_concurrently(
        lambda: transition_apply(actor=lead, record=ticket, name="resolve", data={"resolution_code": "fixed"}),
        lambda: transition_apply(actor=lead, record=ticket, name="cancel"),
    )

    # then exactly one transition applies; the other is refused against the new state
    assert sorted(type(o).__name__ for o in outcomes) == ["Ticket", "TransitionNotAllowed"], outcomes
    [winner] = [o for o in outcomes if isinstance(o, Ticket)]
    [refused] = [o for o in outcomes if isinstance(o, TransitionNotAllowed)]
    assert f"while it is {winner.get_state_display()}" in str(refused)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.version) == (winner.state, 2)

    # and the record's timeline and events tell one story
    entries = JournalEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket), object_id=ticket.pk, kind=JournalKind.STATE_CHANGE
    )
    assert [e.data for e in entries] == [{"transition": STEP_TO[winner.state], "from": "new", "to": winner.state}]
    assert DomainEvent.objects.filter(name="ticket.transitioned", object_id=ticket.pk).count() == 1
    assert [h.state for h in ticket.history.order_by("history_id")] == [TicketState.NEW, winner.state]
