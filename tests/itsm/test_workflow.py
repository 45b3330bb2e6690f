import pytest
from django.contrib.contenttypes.models import ContentType

from itsm.choices import JournalKind
from itsm.exceptions import GuardFailed, NotPermitted, TransitionNotAllowed
from itsm.models import DomainEvent, JournalEntry
from itsm.workflow import transition_apply
from tests.assertions import assert_nothing_written
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import Ticket

pytestmark = pytest.mark.django_db


def journal_of(ticket):
    return JournalEntry.objects.filter(content_type=ContentType.objects.get_for_model(Ticket), object_id=ticket.pk)


def test_a_transition_changes_state_and_leaves_history_journal_and_event(agent):
    ticket = make_ticket(agent)

    ticket = transition_apply(actor=agent, record=ticket, name="start", reason="on it")

    assert ticket.state == "in_progress" and ticket.version == 2
    assert ticket.history.first().history_change_reason == "on it"
    entry = journal_of(ticket).get(kind=JournalKind.STATE_CHANGE)
    assert entry.data == {"transition": "start", "from": "new", "to": "in_progress"}
    assert entry.author == agent and entry.body == "on it"
    event = DomainEvent.objects.get(name="ticket.transitioned")
    assert event.object_id == ticket.pk and event.payload["to"] == "in_progress"


def test_a_transition_from_the_wrong_state_is_refused_and_changes_nothing(agent):
    ticket = make_ticket(agent)

    with pytest.raises(TransitionNotAllowed, match="cannot be moved by “Close” while it is New"):
        transition_apply(actor=agent, record=ticket, name="close")

    ticket.refresh_from_db()
    assert (ticket.state, ticket.version) == ("new", 1)
    assert not journal_of(ticket).exists()


def test_an_unknown_transition_is_refused(agent):
    with pytest.raises(TransitionNotAllowed):
        transition_apply(actor=agent, record=make_ticket(agent), name="teleport")


def test_a_guard_names_the_missing_field_and_nothing_is_written(agent):
    ticket = make_ticket(agent)

    with assert_nothing_written(), pytest.raises(GuardFailed) as refused:
        transition_apply(actor=agent, record=ticket, name="resolve", data={"resolution_code": ""})

    assert list(refused.value.fields) == ["resolution_code"]
    ticket.refresh_from_db()
    assert ticket.state == "new"


def test_a_transition_copies_its_fields_onto_the_record(agent):
    ticket = transition_apply(actor=agent, record=make_ticket(agent), name="resolve",
                              data={"resolution_code": "fixed", "title": "ignored: not a field of the step"})

    assert (ticket.state, ticket.resolution_code) == ("resolved", "fixed")
    assert ticket.title != "ignored: not a field of the step"


def test_a_role_without_the_transition_is_refused(agent):
    with pytest.raises(NotPermitted):
        transition_apply(actor=agent, record=make_ticket(agent), name="cancel")


def test_available_transitions_depend_on_state_and_role(agent, team_lead):
    ticket = make_ticket(agent)

    assert [t.name for t in Ticket.workflow.available(ticket, agent)] == ["start", "resolve"]
    assert [t.name for t in Ticket.workflow.available(ticket, team_lead)] == ["start", "resolve", "cancel"]
    ticket = transition_apply(actor=agent, record=ticket, name="resolve", data={"resolution_code": "x"})
    assert [t.name for t in Ticket.workflow.available(ticket, agent)] == ["reopen", "close"]


def test_a_transition_with_a_stale_version_is_refused(agent):
    from itsm.records import StaleRecord

    ticket = make_ticket(agent)
    transition_apply(actor=agent, record=ticket, name="start")

    with pytest.raises(StaleRecord):
        transition_apply(actor=agent, record=ticket, name="resolve", data={"resolution_code": "x"},
                         expected_version=1)
