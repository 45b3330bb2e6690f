"""SLA engine fixtures: the test-only Ticket registered as an SLA subject, calendars, targets."""

from datetime import timedelta

import pytest

from itsm.services import system_actor
from slas import registry, services
from slas.models import Calendar
from slas.registry import Facts, SubjectType
from tests.kernel_app.models import Ticket, TicketState

ACTIONS = []  # (ticket number, action kind, percent) as the subject performed them


def ticket_facts(ticket) -> Facts:
    """A ticket as the engine reads it; tests set `sla_*` attributes for what a ticket lacks (a
    priority, the first response, an assignment group and assignee, a resolution instant)."""
    resolved = ticket.state in (TicketState.RESOLVED, TicketState.CLOSED)
    return Facts(
        customer_id=ticket.customer_id, service_id=None, priority=getattr(ticket, "sla_priority", None),
        team_id=getattr(ticket, "sla_team_id", None), state=ticket.state, state_label=ticket.get_state_display(),
        opened_at=ticket.created_at, responded_at=getattr(ticket, "sla_responded_at", None),
        resolved_at=(getattr(ticket, "sla_resolved_at", None) or ticket.updated_at) if resolved else None,
        cancelled=ticket.state == TicketState.CANCELLED, assignee_id=getattr(ticket, "sla_assignee_id", None),
    )


def act(ticket, action, timer, percent):
    ACTIONS.append((ticket.number, action["kind"], percent))
    return {"done": action["kind"]}


@pytest.fixture(autouse=True)
def ticket_subject():
    subject = SubjectType(name="ticket", label="Ticket", model=Ticket, facts=ticket_facts,
                          states=lambda: list(TicketState.choices), act=act)
    registry.register_subject(subject)
    ACTIONS.clear()
    yield subject
    registry._subjects.pop("ticket", None)


@pytest.fixture
def always(db):
    return Calendar.objects.get(name="24×7")


ROUND_THE_CLOCK = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def round_the_clock_calendar(name="Round the clock"):
    """A calendar of the organisation's own with every instant working time: unlike the built-in
    24×7 calendar (immutable), tests may add days to it and import files into it. Made once per
    name (the permission matrices share theirs)."""
    existing = Calendar.objects.filter(name=name).first()
    if existing is not None:
        return existing
    return services.calendar_create(actor=system_actor(), data={"name": name, "weekly_hours": ROUND_THE_CLOCK})


@pytest.fixture
def round_the_clock(db):
    return round_the_clock_calendar()


@pytest.fixture
def agreement(db):
    from datetime import date

    return services.agreement_create(actor=system_actor(), data={"name": "Default", "valid_from": date(2020, 1, 1)})


@pytest.fixture
def make_target(agreement, always):
    def make(metric="resolution", goal=timedelta(hours=4), **data):
        data.setdefault("agreement", agreement)
        data.setdefault("calendar", always)
        data.setdefault("record_type", "ticket")
        data.setdefault("name", f"{metric} {goal}")
        return services.target_create(actor=system_actor(), data={"metric": metric, "goal": goal, **data})

    return make
