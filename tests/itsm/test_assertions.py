"""tests/assertions.py: assert_nothing_written fails on every kind of write it claims to see."""

import pytest
from django.core import mail
from django.db import transaction

from itsm.exceptions import NotPermitted
from itsm.models import DomainEvent
from tests.assertions import assert_nothing_written, project_models
from tests.kernel_app import services
from tests.kernel_app.factories import make_ticket
from tests.kernel_app.models import Ticket

pytestmark = pytest.mark.django_db


def test_a_refused_call_passes(auditor):
    with assert_nothing_written(), pytest.raises(NotPermitted):
        services.ticket_create(actor=auditor, data={"title": "Mail is down"})


def test_a_created_record_fails_it_naming_its_tables(agent):
    with pytest.raises(AssertionError) as failed, assert_nothing_written():
        make_ticket(agent, title="Mail is down")

    message = str(failed.value)
    assert "kernel_app.Ticket:" in message and "kernel_app.HistoricalTicket:" in message
    assert "itsm.DomainEvent:" in message


def test_an_update_of_an_existing_row_fails_it(agent):
    ticket = make_ticket(agent, title="Mail is down")

    with pytest.raises(AssertionError, match="kernel_app.Ticket: .*'versions': '1'} -> .*'versions': '2'}"), \
            assert_nothing_written(Ticket):
        services.ticket_update(actor=agent, ticket=ticket, data={"title": "Mail is slow"})


def test_a_deleted_row_fails_it(agent):
    make_ticket(agent)

    with pytest.raises(AssertionError, match="itsm.DomainEvent"), assert_nothing_written():
        DomainEvent.objects.all().delete()


def test_an_after_commit_callback_or_an_email_fails_it():
    with pytest.raises(AssertionError, match="after-commit callbacks: 0 -> 1"), assert_nothing_written(Ticket):
        transaction.on_commit(lambda: None)
    with pytest.raises(AssertionError, match="emails sent: 0 -> 1"), assert_nothing_written(Ticket):
        mail.send_mail("Subject", "Body", "desk@example.com", ["someone@example.com"])


def test_it_watches_the_project_tables_and_auth_not_sessions():
    labels = {model._meta.label for model in project_models()}

    assert {"itsm.OutboxMessage", "itsm.JournalEntry", "incidents.Incident", "incidents.HistoricalIncident",
            "slas.Timer", "config_items.ConfigurationItem", "kernel_app.Ticket", "auth.Group"} <= labels
    assert not {label for label in labels if label.startswith(("sessions.", "axes.", "admin."))}
