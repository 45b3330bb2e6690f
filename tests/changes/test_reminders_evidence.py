"""Reminders of overdue implementations and due reviews; changes in evidence bundles."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes.choices import ChangeState
from changes.models import Change, UnauthorisedChange
from changes.services.reminders import reminders_send
from itsm.evidence import Period, Scope, source
from itsm.models import DomainEvent
from itsm.records import record_save
from itsm.services import system_actor
from tests.changes.factories import make_change
from tests.config_items.factories import make_ci

pytestmark = pytest.mark.django_db


def _put(change, **fields):
    """Place a change in a state and window directly (its workflow is tested elsewhere)."""
    locked = Change.objects.get(pk=change.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
    return record_save(locked, actor=system_actor(), reason="test setup")


def test_an_overdue_implementation_is_reminded_once(agent):
    now = timezone.now()
    late = _put(make_change(agent), state=ChangeState.IMPLEMENTATION, planned_start=now - timedelta(hours=3),
                planned_end=now - timedelta(hours=1))
    _put(make_change(agent), state=ChangeState.SCHEDULED, planned_start=now + timedelta(hours=1),
         planned_end=now + timedelta(hours=2))

    assert reminders_send() == 1
    assert reminders_send() == 0  # once per change and reason
    event = DomainEvent.objects.get(name="change.implementation_overdue")
    assert event.object_id == late.pk


def test_a_review_is_due_some_days_after_implementation(agent, settings):
    settings.CHANGE_REVIEW_DUE_DAYS = 2
    now = timezone.now()
    _put(make_change(agent), state=ChangeState.REVIEW, actual_end=now - timedelta(days=1))
    old = _put(make_change(agent), state=ChangeState.REVIEW, actual_end=now - timedelta(days=3))

    assert reminders_send() == 1
    assert DomainEvent.objects.get(name="change.review_due").object_id == old.pk


def test_changes_and_their_unauthorised_ci_changes_are_evidence(agent):
    change = make_change(agent)
    ci = make_ci(name="core-switch")
    UnauthorisedChange.objects.create(ci=ci, history_id=1, changed_at=timezone.now(), changed_by=agent,
                                      fields={"status": ["live", "retired"]}, detected_at=timezone.now())
    period = Period(timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1))
    changes = source("changes")

    assert list(changes.records(period, Scope())) == [change]
    files = {name: list(rows) for name, rows in changes.files(period, Scope())}
    assert files["unauthorised_changes"][0]["ci"] == ci.number
    assert files["unauthorised_changes"][0]["fields"] == {"status": ["live", "retired"]}
    assert files["conflict_overrides"] == [] and files["cab_decisions"] == []
