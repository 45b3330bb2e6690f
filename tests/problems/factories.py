"""Problems for tests, made through the real services (numbering, history, journal, events)."""

import pytest

from incidents.choices import Impact, Urgency
from itsm.choices import Role
from problems import services


def make_problem(actor, **data):
    data.setdefault("short_description", "Mail server drops connections")
    data.setdefault("impact", Impact.MEDIUM)
    data.setdefault("urgency", Urgency.MEDIUM)
    return services.problem_create(actor=actor, data=data)


def move(actor, problem, *steps, **data):
    """Walk the problem through workflow steps, `data` given to each (extra keys are ignored)."""
    for step in steps:
        problem = services.problem_transition(actor=actor, problem=problem, name=step, data=data)
    return problem


def publish(manager, problem, workaround="Restart the mail relay.", root_cause="Relay leaks sockets."):
    return move(manager, problem, "analyse", "publish_known_error", root_cause=root_cause, workaround=workaround)


@pytest.fixture
def problem_manager(make_user):
    return make_user(Role.PROBLEM_MANAGER, username="pm")
