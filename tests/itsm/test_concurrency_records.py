"""Numbering and optimistic concurrency under parallel writers, each on its own database
connection: row locks on PostgreSQL, the database write lock (IMMEDIATE transactions) on SQLite."""

import pytest

from itsm.records import StaleRecord
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import Ticket
from tests.kernel_app.services import ticket_create, ticket_update

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

THREADS, PER_THREAD = 8, 25


def test_parallel_creations_get_distinct_contiguous_numbers(run_concurrently, make_user):
    agent = make_user("agent")

    def create_tickets():
        return [ticket_create(actor=agent, data={"title": f"Parallel {n}"}).number for n in range(PER_THREAD)]

    # when 8 writers each create 25 tickets at the same time (the first ones also race to
    # create the TKT counter, which does not exist yet)
    outcomes = run_concurrently(*[create_tickets] * THREADS)

    # then every ticket got its own number, with no gap (nothing rolled back); on PostgreSQL
    # the sequence continues from tickets of earlier tests (a flush empties tables, not sequences)
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    first = min(int(number[3:]) for numbers in outcomes for number in numbers)
    expected = [f"TKT{value:07d}" for value in range(first, first + THREADS * PER_THREAD)]
    assert sorted(number for numbers in outcomes for number in numbers) == expected
    assert sorted(Ticket.objects.values_list("number", flat=True)) == expected


def test_of_two_parallel_updates_from_the_same_version_one_wins_and_the_other_is_refused(
    run_concurrently, widen_race, make_user
):
    agent = make_user("agent")
    ticket = make_ticket(agent, title="Original")  # version 1
    widen_race("tests.kernel_app.services.record_save")  # both hold version 1 inside the transaction

    # when two people save their edit of version 1 at the same moment
    outcomes = run_concurrently(
        lambda: ticket_update(actor=agent, ticket=ticket, data={"title": "First edit"}, expected_version=1),
        lambda: ticket_update(actor=agent, ticket=ticket, data={"title": "Second edit"}, expected_version=1),
    )

    # then one edit is saved and the other is refused as stale, not silently overwritten
    assert sorted(type(o).__name__ for o in outcomes) == ["StaleRecord", "Ticket"], outcomes
    [winner] = [o for o in outcomes if isinstance(o, Ticket)]
    [refused] = [o for o in outcomes if isinstance(o, StaleRecord)]
    assert (refused.expected_version, refused.record.version) == (1, 2)
    ticket.refresh_from_db()
    assert (ticket.title, ticket.version) == (winner.title, 2)
    assert [h.title for h in ticket.history.order_by("history_id")] == ["Original", winner.title]
