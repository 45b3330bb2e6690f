"""Changes for tests, made through the real services (numbering, history, journal, events).

Slices add their own helpers in their own test modules (or a `factories_<slice>.py`)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes.services.records import change_create
from changes.services.states import change_transition
from itsm.choices import Role

PLANS = {"implementation_plan": "Apply the patch on each node in turn.",
         "backout_plan": "Reinstall the previous package.",
         "test_plan": "Run the smoke tests against each node."}


def make_change(actor, **data):
    data.setdefault("short_description", "Patch the mail relays")
    return change_create(actor=actor, data=data)


def window(hours_from_now: float = 1, hours: float = 2):
    start = timezone.now() + timedelta(hours=hours_from_now)
    return {"planned_start": start, "planned_end": start + timedelta(hours=hours)}


def move(actor, change, *steps, **data):
    """Walk the change through workflow steps, `data` given to each (extra keys are ignored)."""
    for step in steps:
        change = change_transition(actor=actor, change=change, name=step, data=data)
    return change


@pytest.fixture
def change_manager(make_user):
    return make_user(Role.CHANGE_MANAGER, username="chgmgr")


@pytest.fixture
def cab_member(make_user):
    return make_user(Role.CAB_MEMBER, username="cab1")
