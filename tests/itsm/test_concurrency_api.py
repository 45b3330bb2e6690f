"""Idempotent creates under concurrency, over real HTTP: two requests with one Idempotency-Key
handled at the same time by the live server's threads."""

import pytest
import requests

from itsm import services
from itsm.models import IdempotencyKey
from tests.kernel_app.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_parallel_posts_with_one_idempotency_key_create_one_ticket_and_get_the_same_answer(
    live_server, run_concurrently, widen_race, make_user
):
    agent = make_user("agent")
    _, secret = services.token_create(actor=agent, user=agent, name="monitoring", days=1, read_only=False)
    # Both requests find no stored answer, then overlap inside their transactions.
    widen_race("tests.kernel_app.services.ticket_create")

    def post():
        return requests.post(
            f"{live_server.url}/api/v1/test/tickets/", json={"title": "Disk full on db01"},
            headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "alert-4711"}, timeout=30,
        )

    # when a client's request and its retry arrive at the same time
    first, second = run_concurrently(post, post)

    # then both get the same answer: the one ticket that was created
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    assert first.json() == second.json()
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in (first, second)) == ["", "true"]
    assert list(Ticket.objects.values_list("number", "title")) == [(first.json()["number"], "Disk full on db01")]
    assert IdempotencyKey.objects.count() == 1
