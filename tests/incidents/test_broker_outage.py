"""Incidents created through the API while the broker is down (issue 16, defect 3): the answer
does not wait on the broker, the notification waits in the outbox, due for the sweep, and
once one publish failed the next request does not even try to connect."""

from contextlib import contextmanager
from unittest import mock

import pytest
from redis.connection import Connection

from itsm import outbox
from itsm.celery import app
from itsm.choices import OutboxStatus
from itsm.models import OutboxMessage
from tests.incidents.factories import make_team_with

pytestmark = pytest.mark.django_db


@contextmanager
def redis_broker_down(broker_unreachable):
    """A Redis broker that refuses connections, with the product's options (the embedded
    default's settings name the filesystem transport: Redis's is used here whatever the run)."""
    transport = app.conf.broker_transport
    app.conf.broker_transport = None
    try:
        with broker_unreachable():
            yield
    finally:
        app.conf.broker_transport = transport


def test_creations_answer_while_the_broker_is_down_and_their_messages_wait_for_the_sweep(
        broker_unreachable, token_client, agent, requester, django_capture_on_commit_callbacks):
    team = make_team_with(agent, name="Service desk", email="desk@example.com")  # one message a creation
    client = token_client(agent)
    body = {"short_description": "Mail is down", "caller": requester.pk, "assignment_group": team.pk}
    connects = mock.patch.object(Connection, "_connect", autospec=True, side_effect=Connection._connect)

    with redis_broker_down(broker_unreachable), connects as connect:
        with django_capture_on_commit_callbacks(execute=True):
            first = client.post("/api/v1/incidents/", body, format="json")
        tried = connect.call_count
        with django_capture_on_commit_callbacks(execute=True):
            second = client.post("/api/v1/incidents/", body, format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert tried == 1  # one connection attempt, no retry
    assert connect.call_count == tried  # the breaker is open: the second did not try
    messages = OutboxMessage.objects.all()
    assert messages.count() == 2
    assert {(m.status, m.attempts) for m in messages} == {(OutboxStatus.PENDING, 0)}

    # the sweep, once the broker is back, publishes both
    with mock.patch("itsm.tasks.deliver_outbox_message.apply_async") as publish:
        assert outbox.sweep() == 2
    assert publish.call_count == 2
