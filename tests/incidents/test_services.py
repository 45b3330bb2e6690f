"""Incident services: logging, classification, assignment, journal and events."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.choices import Channel, Impact, IncidentState, Urgency
from incidents.models import Category, Incident
from itsm.choices import JournalKind
from itsm.exceptions import NotPermitted
from itsm.journal import journal_for
from itsm.models import DomainEvent
from itsm.records import StaleRecord
from tests.assertions import assert_nothing_written
from tests.config_items.factories import make_ci, make_service
from tests.factories import CustomerFactory
from tests.incidents.factories import make_incident, make_team_with, resolve

pytestmark = pytest.mark.django_db


def events(name, incident):
    return DomainEvent.objects.filter(name=name, object_id=incident.pk)


def test_logging_numbers_the_incident_and_derives_priority_from_the_matrix(agent):
    incident = make_incident(agent, impact=Impact.HIGH, urgency=Urgency.MEDIUM)

    assert incident.number.startswith("INC") and len(incident.number) == 10
    assert incident.priority == 2
    assert incident.state == IncidentState.NEW
    assert incident.opened_at is not None
    assert incident.history.first().history_user == agent
    assert events("incident.created", incident).count() == 1


def test_the_administrators_matrix_decides_new_priorities(agent, admin_user):
    services.priority_matrix_update(actor=admin_user, cells={(3, 3): 4})

    assert make_incident(agent, impact=Impact.LOW, urgency=Urgency.LOW).priority == 4


def test_only_administrators_edit_the_matrix(team_lead):
    with pytest.raises(NotPermitted):
        services.priority_matrix_update(actor=team_lead, cells={(1, 1): 5})


def test_changing_urgency_re_derives_the_priority_and_says_so(agent):
    incident = make_incident(agent, impact=Impact.MEDIUM, urgency=Urgency.LOW)

    incident = services.incident_update(actor=agent, incident=incident, data={"urgency": Urgency.HIGH})

    assert incident.priority == 2
    entry = journal_for(incident, agent).filter(kind=JournalKind.SYSTEM).last()
    assert entry.body == "Priority changed from P4 to P2"
    assert events("incident.priority_changed", incident).get().payload == {"from": 4, "to": 2}


def test_the_assignee_must_belong_to_the_group(agent, team_lead):
    team = make_team_with(team_lead)

    with assert_nothing_written(), pytest.raises(ValidationError) as error:
        make_incident(agent, contact_name="Reception desk", assignment_group=team, assignee=agent)

    assert "assignee" in error.value.message_dict


def test_an_assignee_needs_a_group(agent):
    with pytest.raises(ValidationError) as error:
        make_incident(agent, assignee=agent)

    assert "assignment_group" in error.value.message_dict


def test_subcategory_must_belong_to_the_category(agent):
    hardware = Category.objects.get(name="Hardware", parent=None)
    vpn = Category.objects.get(name="VPN")

    with pytest.raises(ValidationError) as error:
        make_incident(agent, category=hardware, subcategory=vpn)

    assert "subcategory" in error.value.message_dict


def test_the_affected_service_must_be_a_service(agent, team_lead):
    server = make_ci(team_lead, name="db01", type_slug="server")

    with pytest.raises(ValidationError) as error:
        make_incident(agent, service=server)

    assert error.value.message_dict["service"] == [f"{server} is not a service."]


def test_an_outside_caller_is_named_by_contact_details(agent):
    incident = services.incident_create(actor=agent, data={
        "short_description": "Website down", "contact_name": "Li Wei", "contact_email": "li@example.com"})

    assert incident.caller is None and incident.caller_display == "Li Wei"

    with pytest.raises(ValidationError) as error:
        services.incident_create(actor=agent, data={"short_description": "Nobody called"})
    assert "caller" in error.value.message_dict


def test_customer_comes_from_a_single_customer_service(agent, team_lead):
    customer = CustomerFactory()
    service = make_service(team_lead, name="Mail")
    service.customers.add(customer)

    assert make_incident(agent, service=service).customer == customer


def test_assignment_journals_notifies_and_counts_reassignments(agent, team_lead):
    first, second = make_team_with(agent), make_team_with(team_lead)
    incident = make_incident(agent)

    incident = services.incident_assign(actor=agent, incident=incident, group=first, assignee=agent)
    assert incident.reassignment_count == 0
    incident = services.incident_assign(actor=agent, incident=incident, group=second)

    assert incident.reassignment_count == 1
    assert incident.assignee is None
    assignments = journal_for(incident, agent).filter(kind=JournalKind.ASSIGNMENT)
    assert [e.data["to"] for e in assignments] == [{"group": first.pk, "assignee": agent.pk},
                                                   {"group": second.pk, "assignee": None}]
    assert events("incident.assigned", incident).count() == 2


def test_assigning_the_same_again_changes_nothing(agent):
    team = make_team_with(agent)
    incident = make_incident(agent, assignment_group=team, assignee=agent)

    again = services.incident_assign(actor=agent, incident=incident, group=team, assignee=agent)

    assert again.version == incident.version


def test_assign_to_me_keeps_a_group_the_agent_belongs_to(agent, make_user):
    other = make_user("agent", username="other")
    mine, theirs = make_team_with(agent, other, name="B team"), make_team_with(other, name="A team")
    incident = make_incident(agent, assignment_group=mine)

    incident = services.incident_assign_to_me(actor=agent, incident=incident)

    assert (incident.assignment_group, incident.assignee) == (mine, agent)
    assert theirs.pk  # the other team exists but is not chosen


def test_assign_to_me_without_a_team_is_refused(agent):
    incident = make_incident(agent)

    with pytest.raises(ValidationError):
        services.incident_assign_to_me(actor=agent, incident=incident)


def test_stale_update_is_refused(agent):
    incident = make_incident(agent)
    services.incident_update(actor=agent, incident=incident, data={"short_description": "First"})

    with pytest.raises(StaleRecord):
        services.incident_update(actor=agent, incident=incident, data={"short_description": "Second"},
                                 expected_version=incident.version)

    incident.refresh_from_db()
    assert incident.short_description == "First"


def test_final_incidents_cannot_be_edited(agent):
    incident = make_incident(agent)
    services.incident_transition(actor=agent, incident=incident, name="cancel")

    with pytest.raises(ValidationError):
        services.incident_update(actor=agent, incident=incident, data={"short_description": "Late edit"})


def test_unknown_fields_are_refused(agent):
    with pytest.raises(ValidationError) as error:
        services.incident_create(actor=agent, data={"short_description": "x", "contact_name": "y", "state": "closed"})

    assert error.value.message_dict == {"state": ["Unknown field."]}


def test_requesters_report_for_themselves_through_the_portal_fields(requester, agent):
    incident = services.incident_create(actor=requester, data={"short_description": "Printer jam",
                                                               "urgency": Urgency.HIGH})

    assert (incident.caller, incident.channel) == (requester, Channel.PORTAL)

    with pytest.raises(ValidationError):
        services.incident_create(actor=requester, data={"short_description": "x", "assignee": agent})


def test_auditors_change_nothing(auditor, agent):
    incident = make_incident(agent)

    with pytest.raises(NotPermitted):
        services.incident_create(actor=auditor, data={"short_description": "x", "contact_name": "y"})
    with pytest.raises(NotPermitted):
        services.incident_comment(actor=auditor, incident=incident, body="hello")
    with pytest.raises(NotPermitted):
        services.incident_transition(actor=auditor, incident=incident, name="start")


def test_a_public_comment_by_the_desk_is_the_first_response(agent):
    incident = make_incident(agent)
    services.incident_comment(actor=agent, incident=incident, body="Looking into it", internal=True)
    incident.refresh_from_db()
    assert incident.first_response_at is None

    services.incident_comment(actor=agent, incident=incident, body="We are on it")

    incident.refresh_from_db()
    assert incident.first_response_at is not None


def test_callers_comment_on_their_own_incident_only(requester, make_user, agent):
    incident = make_incident(agent, caller=requester)
    stranger = make_user("requester", username="stranger")

    entry = services.incident_comment(actor=requester, incident=incident, body="Still broken")
    assert entry.is_public

    with pytest.raises(NotPermitted):
        services.incident_comment(actor=requester, incident=incident, body="secret", internal=True)
    with pytest.raises(NotPermitted):
        services.incident_comment(actor=stranger, incident=incident, body="Me too")


def test_major_incident_promotion_needs_a_reason_and_is_recorded(agent):
    incident = make_incident(agent)

    with pytest.raises(ValidationError):
        services.incident_promote_major(actor=agent, incident=incident, reason=" ")
    incident = services.incident_promote_major(actor=agent, incident=incident, reason="Whole site down")

    assert incident.is_major and incident.major_reason == "Whole site down"
    assert events("incident.major_promoted", incident).count() == 1
    entry = services.incident_communicate(actor=agent, incident=incident, body="Next update at 10:00")
    assert entry.is_public and entry.data["communication"] is True

    incident = services.incident_demote_major(actor=agent, incident=incident, reason="Only one site")
    assert not incident.is_major


def test_parent_must_be_a_top_level_incident(agent):
    parent = make_incident(agent)
    child = make_incident(agent, parent=parent)

    with pytest.raises(ValidationError) as error:
        make_incident(agent, parent=child)
    assert "parent" in error.value.message_dict

    with pytest.raises(ValidationError):
        services.incident_update(actor=agent, incident=parent, data={"parent": make_incident(agent)})


def test_bulk_actions_apply_each_change_and_report_refusals(agent):
    team = make_team_with(agent)
    open_one, other_open = make_incident(agent), make_incident(agent)
    cancelled = make_incident(agent)
    services.incident_transition(actor=agent, incident=cancelled, name="cancel")

    results = services.incidents_bulk(actor=agent, incidents=[open_one, cancelled, other_open],
                                      operation="assign", group=team, assignee=agent)

    assert [r.ok for r in results] == [True, False, True]
    assert "can no longer be changed" in results[1].error
    assert Incident.objects.filter(assignee=agent).count() == 2

    results = services.incidents_bulk(actor=agent, incidents=[open_one, other_open], operation="transition",
                                      name="hold", data={"on_hold_reason": ""})
    assert not any(r.ok for r in results)
    assert Incident.objects.filter(state=IncidentState.ON_HOLD).count() == 0


def test_saved_filters_belong_to_their_owner(agent, make_user):
    other = make_user("agent", username="other")
    saved = services.saved_filter_create(actor=agent, name="P1 network", query="?priority=1")
    again = services.saved_filter_create(actor=agent, name="P1 network", query="priority=1&state=new")

    assert again.pk == saved.pk and again.query == "priority=1&state=new"
    with pytest.raises(NotPermitted):
        services.saved_filter_delete(actor=other, saved_filter=saved)


def test_resolve_then_close_through_the_service_keeps_one_version_per_step(agent):
    incident = make_incident(agent)
    incident = services.incident_transition(actor=agent, incident=incident, name="start")
    incident = resolve(agent, incident)

    assert incident.version == 3
    assert incident.history.count() == 3
