"""manage.py demo_data sets up change management (questionnaire, catalogue, CABs, rules, windows)
and loads changes in every state, one scheduled over a blackout, and two unauthorised CI changes;
a second run adds nothing."""

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from changes.choices import ChangeModel, ChangeState, CloseCode, ExceptionState
from changes.models import (
    ApprovalRule,
    CabBoard,
    Change,
    ChangeConflict,
    ScheduleWindow,
    StandardChangeTemplate,
    UnauthorisedChange,
)
from changes.services.catalogue import template_usable

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The whole demo, loaded once for the module in a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True):
            call_command("demo_data", verbosity=0)
        yield
        transaction.set_rollback(True)


def test_changes_in_every_state(demo):
    states = set(Change.objects.values_list("state", flat=True))
    assert set(ChangeState.values) <= states
    assert Change.objects.filter(change_model=ChangeModel.EMERGENCY, state=ChangeState.CLOSED).exclude(
        review_notes="").exists()
    failed = Change.objects.get(close_code=CloseCode.FAILED)
    assert failed.state == ChangeState.CLOSED and failed.review_notes
    assert Change.objects.filter(source="pipeline", state=ChangeState.CLOSED).exists()


def test_finished_changes_lie_weeks_back_for_the_reports(demo):
    closed = Change.objects.filter(state=ChangeState.CLOSED).order_by("closed_at")
    assert (closed.last().closed_at - closed.first().closed_at).days >= 30


def test_the_set_up_an_administrator_makes(demo):
    assert ApprovalRule.objects.count() == 3
    assert set(CabBoard.objects.values_list("name", flat=True)) == {"Weekly CAB", "Emergency CAB"}
    assert CabBoard.objects.get(name="Weekly CAB").meetings.count() >= 4
    assert ScheduleWindow.objects.filter(kind="blackout").count() == 2
    lapsed = StandardChangeTemplate.objects.get(name="Open a firewall port for an application")
    assert "lapsed" in template_usable(lapsed)


def test_one_change_is_scheduled_over_the_year_end_freeze(demo):
    conflict = ChangeConflict.objects.get(kind="blackout", cleared_at=None)
    assert conflict.overridden_at and conflict.change.state == ChangeState.SCHEDULED
    assert conflict.change.conflict_override_reason


def test_two_unauthorised_ci_changes_await_a_change_manager(demo):
    assert UnauthorisedChange.objects.filter(state=ExceptionState.OPEN).count() == 2


def test_a_second_run_adds_nothing(demo):
    before = Change.objects.count()
    with override_settings(DEBUG=True):
        call_command("demo_data", verbosity=0)
    assert Change.objects.count() == before
