"""The CI/CD gate's yes and no (with a coded reason for each no), and the pipeline's start and
finish driving the change's state."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from changes.choices import ChangeState
from changes.models import ChangeConflict
from changes.services.pipeline import change_gate, pipeline_finish, pipeline_start
from itsm.exceptions import GuardFailed, NotPermitted
from tests.changes.factories import make_change
from tests.changes.factories_cmdb import live_ci, standard_change

pytestmark = pytest.mark.django_db


def codes(gate) -> list[str]:
    return [reason["code"] for reason in gate["reasons"]]


def conflict(change, **flags):
    return ChangeConflict.objects.create(change=change, kind="blackout", key=f"blackout:{len(flags)}",
                                         detail="Inside the year-end freeze.", detected_at=timezone.now(), **flags)


def test_yes_inside_the_window_of_an_authorised_scheduled_change(agent):
    change = standard_change(agent)
    gate = change_gate(change)
    assert gate["deploy"] is True and gate["reasons"] == []
    assert gate["change"] == change.number and gate["state"] == ChangeState.SCHEDULED
    assert gate["window"] == {"start": change.planned_start, "end": change.planned_end}


def test_no_before_and_after_the_window(agent):
    change = standard_change(agent, starts_in_hours=2)
    before = change_gate(change)
    assert before["deploy"] is False and codes(before) == ["before_window"]
    assert "starts at" in before["reasons"][0]["message"]
    after = change_gate(change, at=change.planned_end + timedelta(minutes=1))
    assert codes(after) == ["after_window"]


def test_no_when_not_authorised(agent):
    change = make_change(agent, planned_start=timezone.now() - timedelta(hours=1),
                         planned_end=timezone.now() + timedelta(hours=1))
    assert codes(change_gate(change)) == ["not_authorised", "wrong_state"]


def test_no_while_a_conflict_blocks_or_waits_for_an_override(agent):
    change = standard_change(agent)
    blocking = conflict(change, blocking=True)
    assert codes(change_gate(change)) == ["blocking_conflict"]
    blocking.cleared_at = timezone.now()
    blocking.save()
    waiting = conflict(change, needs_override=True)
    gate = change_gate(change)
    assert codes(gate) == ["override_needed"] and "year-end freeze" in gate["reasons"][0]["message"]
    waiting.overridden_at = timezone.now()
    waiting.save()
    assert change_gate(change)["deploy"] is True


def test_an_emergency_may_deploy_before_its_window_once_authorised(agent):
    change = make_change(agent, change_model="emergency")
    change.state, change.authorised_at = ChangeState.SCHEDULED, timezone.now()  # as its CAB left it
    assert change_gate(change)["deploy"] is True  # no window needed
    change.planned_start = timezone.now() + timedelta(hours=3)
    change.planned_end = change.planned_start + timedelta(hours=1)
    assert change_gate(change)["deploy"] is True
    change.authorised_at = None
    assert codes(change_gate(change)) == ["not_authorised"]


def test_start_then_a_successful_finish_closes_a_standard_change(agent):
    relay = live_ci()
    change = standard_change(agent, cis=[relay])
    change = pipeline_start(actor=agent, change=change)
    assert change.state == ChangeState.IMPLEMENTATION and change.actual_start is not None
    assert change_gate(change)["deploy"] is True  # still inside its window while implementing

    change = pipeline_finish(actor=agent, change=change, outcome="successful", notes="Deployed 2.4.1")

    assert change.state == ChangeState.CLOSED
    assert (change.close_code, change.close_notes) == ("successful", "Deployed 2.4.1")
    closing = change.history.latest()
    assert closing.history_user.username == "system" and "pipeline" in closing.history_change_reason


@pytest.mark.parametrize("outcome", ["failed", "backed_out", "successful_with_issues"])
def test_any_other_outcome_waits_in_review(agent, outcome):
    change = pipeline_start(actor=agent, change=standard_change(agent))
    change = pipeline_finish(actor=agent, change=change, outcome=outcome)
    assert change.state == ChangeState.REVIEW and change.close_code == outcome


def test_start_is_refused_with_the_gates_reasons(agent):
    change = standard_change(agent, starts_in_hours=2)
    with pytest.raises(GuardFailed) as error:
        pipeline_start(actor=agent, change=change)
    assert "before_window" in error.value.fields
    change.refresh_from_db()
    assert change.state == ChangeState.SCHEDULED


def test_unknown_outcomes_and_other_peoples_changes_are_refused(agent, make_user):
    change = pipeline_start(actor=agent, change=standard_change(agent))
    with pytest.raises(ValidationError):
        pipeline_finish(actor=agent, change=change, outcome="cancelled")
    someone_else = make_user("agent", username="other-agent")
    with pytest.raises(NotPermitted):  # start and complete are the implementer's (or a manager's)
        pipeline_finish(actor=someone_else, change=change, outcome="successful")
