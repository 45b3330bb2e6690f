import itertools

from tests.factories import UserFactory
from tests.kernel_app import services

_titles = (f"Ticket {n}" for n in itertools.count(1))


def make_ticket(actor=None, **data):
    """Create a ticket the way the product does: through its service."""
    actor = actor or UserFactory(roles=["agent"])
    data.setdefault("title", next(_titles))
    return services.ticket_create(actor=actor, data=data)
