"""Raising and editing a change through the services."""

import pytest
from django.core.exceptions import ValidationError

from changes.choices import ChangeState
from changes.services.records import change_update
from incidents.choices import Impact
from itsm.exceptions import GuardFailed, NotPermitted
from tests.changes.factories import PLANS, make_change, move, window
from tests.changes.factories_approvals import make_rule
from tests.config_items.factories import link, make_ci, make_service

pytestmark = pytest.mark.django_db


def test_a_change_gets_a_number_and_its_requester(agent):
    change = make_change(agent)
    assert change.number.startswith("CHG")
    assert change.requester == agent
    assert change.state == ChangeState.NEW


def test_requesters_may_not_raise_changes(requester):
    with pytest.raises(NotPermitted):
        make_change(requester)


def test_impacted_services_follow_the_cmdb(agent):
    database = make_ci(name="db-01", type_slug="server")
    mail, web = make_service(name="Mail"), make_service(name="Web")
    link(mail, database)
    link(web, mail)
    change = make_change(agent, cis=[database])
    assert set(change.impacted_services.all()) == {mail, web}
    assert change.impact == Impact.MEDIUM  # two services at stake


def test_the_window_must_end_after_it_starts(agent):
    bad = window()
    bad["planned_end"] = bad["planned_start"]
    with pytest.raises(ValidationError) as error:
        make_change(agent, **bad)
    assert "planned_end" in error.value.message_dict


def test_a_standard_change_needs_a_template(agent):
    with pytest.raises(ValidationError) as error:
        make_change(agent, change_model="standard")
    assert "change_model" in error.value.message_dict


def test_authorisation_needs_risk_and_plans(agent, change_manager):
    change = move(change_manager, make_change(agent), "assess")
    with pytest.raises(GuardFailed) as error:
        move(change_manager, change, "request_authorisation")
    assert {"risk", "implementation_plan", "backout_plan", "test_plan"} <= set(error.value.fields)


def test_an_emergency_goes_to_authorisation_from_new_with_two_plans(agent, change_manager, admin_user, cab_member):
    make_rule(admin_user, change_model="emergency", users=[cab_member])
    change = make_change(agent, change_model="emergency", implementation_plan=PLANS["implementation_plan"],
                         backout_plan=PLANS["backout_plan"])
    change = move(change_manager, change, "request_authorisation")
    assert change.state == ChangeState.AUTHORISATION


def test_an_agent_cannot_cancel_but_a_change_manager_can(agent, change_manager):
    change = make_change(agent)
    with pytest.raises(NotPermitted):
        move(agent, change, "cancel", cancel_reason="Not needed")
    change = move(change_manager, change, "cancel", cancel_reason="Not needed")
    assert (change.state, change.close_code) == (ChangeState.CANCELLED, "cancelled")
    with pytest.raises(ValidationError):
        change_update(actor=change_manager, change=change, data={"short_description": "x"})


def test_cancelling_a_change_under_authorisation_withdraws_its_approval(agent, change_manager, admin_user,
                                                                         cab_member):
    from changes.selectors_approvals import pending_authorisation

    make_rule(admin_user, change_model="emergency", users=[cab_member])
    change = make_change(agent, change_model="emergency", implementation_plan=PLANS["implementation_plan"],
                         backout_plan=PLANS["backout_plan"])
    change = move(change_manager, change, "request_authorisation")
    assert pending_authorisation(change) is not None

    change = move(change_manager, change, "cancel", cancel_reason="Not needed after all")
    assert pending_authorisation(change) is None
