import pytest

from itsm.records import StaleRecord, next_number
from tests.assertions import assert_nothing_written
from tests.kernel_app import services
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import Ticket

pytestmark = pytest.mark.django_db


def test_numbers_are_allocated_per_prefix_in_sequence():
    assert next_number("ABC") == "ABC0001001"
    assert next_number("ABC") == "ABC0001002"
    assert next_number("XYZ") == "XYZ0001001"


def test_a_new_record_carries_number_creator_and_version_one(agent):
    ticket = make_ticket(agent, title="Mail is down")

    assert ticket.number.startswith("TKT") and len(ticket.number) == 10
    assert ticket.created_by == agent and ticket.updated_by == agent
    assert ticket.version == 1


def test_history_records_the_actor_and_reason_also_without_a_request(agent, team_lead):
    ticket = make_ticket(agent, title="Mail is down")

    services.ticket_update(actor=team_lead, ticket=ticket, data={"title": "Mail is slow"}, expected_version=1)

    latest, first = ticket.history.all()[:2]
    assert (first.history_user, first.history_change_reason, first.title) == (agent, "created", "Mail is down")
    assert (latest.history_user, latest.history_change_reason, latest.title) == (team_lead, "updated", "Mail is slow")


def test_a_stale_update_is_refused_and_writes_nothing(agent):
    ticket = make_ticket(agent, title="Original")
    services.ticket_update(actor=agent, ticket=ticket, data={"title": "First edit"}, expected_version=1)

    with assert_nothing_written(), pytest.raises(StaleRecord):
        services.ticket_update(actor=agent, ticket=ticket, data={"title": "Second edit"}, expected_version=1)

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.title, ticket.version) == ("First edit", 2)


def test_changes_made_by_tasks_are_attributed_to_the_system_account(agent):
    from itsm.services import system_actor

    ticket = make_ticket(agent)

    services.ticket_update(actor=system_actor(), ticket=ticket, data={"title": "auto"}, expected_version=1)

    change = ticket.history.first()
    assert change.history_user.username == "system" and change.history_change_reason == "updated"
    assert not change.history_user.is_active
