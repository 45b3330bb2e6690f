"""Rules the browser enforced alone until they moved into incidents.services: the API (and
every other caller) now meets them too."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.models import Category, Incident, PriorityRule
from itsm.choices import Role
from itsm.models import Customer, JournalEntry
from tests.config_items.factories import make_service
from tests.incidents.factories import make_incident, make_team_with

BASE = "/api/v1/incidents"


def error_fields(response):
    return response.json()["error"].get("fields", {})


# --- a communication is for a major incident ------------------------------------------------------

def test_the_api_refuses_a_communication_on_an_incident_that_is_not_major(api, agent):
    incident = make_incident(agent)
    api.force_authenticate(agent)

    response = api.post(f"{BASE}/{incident.pk}/communications/", {"body": "Next update at 10:00"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"non_field_errors": ["Communications are for major incidents."]}
    assert not JournalEntry.objects.filter(body="Next update at 10:00").exists()


def test_a_communication_is_refused_once_the_incident_is_no_longer_major(agent):
    incident = make_incident(agent)
    services.incident_promote_major(actor=agent, incident=incident, reason="Site down")
    services.incident_demote_major(actor=agent, incident=incident, reason="Declared by mistake")

    # the caller still holds the instance read while it was major
    incident.is_major = True
    with pytest.raises(ValidationError):
        services.incident_communicate(actor=agent, incident=incident, body="Still down")

    assert not JournalEntry.objects.filter(body="Still down").exists()


# --- a requester reports against a live service of the catalogue ----------------------------------

@pytest.mark.parametrize("status", ["pipeline", "retired", ""])
def test_the_api_refuses_a_requesters_report_on_a_service_the_catalogue_does_not_offer(api, requester, status):
    service = make_service(name="Video calls", catalogue_status=status)
    api.force_authenticate(requester)

    response = api.post(f"{BASE}/", {"short_description": "No picture", "service": service.pk}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"service": ["Video calls is not a live service of the catalogue."]}
    assert not Incident.objects.exists()


def test_a_requester_reports_on_a_live_service_of_the_catalogue(api, requester):
    service = make_service(name="Email", catalogue_status="live")
    api.force_authenticate(requester)

    response = api.post(f"{BASE}/", {"short_description": "No mail", "service": service.pk}, format="json")

    assert response.status_code == 201, response.json()
    assert Incident.objects.get().service == service


def test_the_service_desk_may_still_log_against_any_service_ci(api, agent, requester):
    service = make_service(name="Video calls", catalogue_status="pipeline")
    api.force_authenticate(agent)

    response = api.post(f"{BASE}/", {"short_description": "Pilot broken", "caller": requester.pk,
                                     "service": service.pk}, format="json")

    assert response.status_code == 201, response.json()


# --- the priority matrix: all cells or none --------------------------------------------------------

def matrix_rows():
    return sorted(PriorityRule.objects.values_list("impact", "urgency", "priority"))


def history_rows():
    return PriorityRule.history.count()


def test_a_matrix_update_with_one_bad_cell_writes_no_cell(admin_user):
    before, history = matrix_rows(), history_rows()

    with pytest.raises(ValidationError):
        services.priority_matrix_update(actor=admin_user, cells={(1, 1): 2, (1, 2): 9})

    assert (matrix_rows(), history_rows()) == (before, history)


def test_a_matrix_update_naming_a_cell_that_does_not_exist_writes_nothing(admin_user):
    before, history = matrix_rows(), history_rows()

    with pytest.raises(ValidationError):
        services.priority_matrix_update(actor=admin_user, cells={(1, 1): 2, (4, 1): 1})

    assert (matrix_rows(), history_rows()) == (before, history)


def test_a_matrix_update_writes_only_the_cells_that_change(admin_user):
    history = history_rows()

    changed = services.priority_matrix_update(actor=admin_user, cells={(1, 1): 1, (1, 2): 1, (3, 3): 3})

    assert changed == 2
    assert (services.priority_for(1, 2), services.priority_for(3, 3)) == (1, 3)
    assert history_rows() == history + 2


def test_the_api_sets_a_cell_through_the_matrix_service(api, admin_user):
    api.force_authenticate(admin_user)

    response = api.post(f"{BASE}/priority-matrix/", {"impact": 2, "urgency": 2, "priority": 1}, format="json")

    assert response.status_code == 200 and response.json()["priority"] == 1
    assert services.priority_for(2, 2) == 1


# --- category names differ among siblings, also in case -------------------------------------------

def test_the_api_refuses_a_category_named_like_a_sibling_in_another_case(api, admin_user):
    api.force_authenticate(admin_user)
    first = api.post(f"{BASE}/categories/", {"name": "Printing"}, format="json")

    again = api.post(f"{BASE}/categories/", {"name": "printing"}, format="json")
    child = api.post(f"{BASE}/categories/", {"name": "printing", "parent": first.json()["id"]}, format="json")

    assert first.status_code == 201
    assert again.status_code == 400
    assert again.json()["error"]["fields"] == {"name": ["There is already a category of this name here."]}
    assert child.status_code == 201  # another level, another set of siblings
    assert Category.objects.filter(name__iexact="printing").count() == 2


def test_renaming_a_category_to_a_siblings_name_in_another_case_is_refused(admin_user):
    services.category_create(actor=admin_user, name="Printing")
    other = services.category_create(actor=admin_user, name="Scanning")

    with pytest.raises(ValidationError):
        services.category_update(actor=admin_user, category=other, data={"name": " PRINTING "})

    other.refresh_from_db()
    assert other.name == "Scanning"


# --- customers and categories no longer in use are not given to an incident -----------------------

def test_the_api_refuses_an_inactive_customer_or_category_on_a_new_incident(api, agent, requester, admin_user):
    old_customer = Customer.objects.create(code="old", name="Old Corp", is_active=False)
    old_category = services.category_create(actor=admin_user, name="Fax", is_active=False)
    api.force_authenticate(agent)

    response = api.post(f"{BASE}/", {"short_description": "Fax down", "caller": requester.pk,
                                     "customer": old_customer.pk, "category": old_category.pk}, format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"customer": ["Old Corp is no longer in use."],
                                      "category": ["Fax is no longer in use."]}
    assert not Incident.objects.exists()


def test_an_incident_keeps_a_category_retired_since_but_none_is_newly_given(api, agent, admin_user):
    fax = services.category_create(actor=admin_user, name="Fax")
    telex = services.category_create(actor=admin_user, name="Telex", is_active=False)
    incident = make_incident(agent, category=fax)
    services.category_update(actor=admin_user, category=fax, data={"is_active": False})
    api.force_authenticate(agent)

    kept = api.patch(f"{BASE}/{incident.pk}/", {"short_description": "Fax still down", "category": fax.pk,
                                                 "version": incident.version}, format="json")
    moved = api.patch(f"{BASE}/{incident.pk}/", {"category": telex.pk, "version": incident.version + 1},
                      format="json")

    assert kept.status_code == 200, kept.json()
    assert moved.status_code == 400 and error_fields(moved) == {"category": ["Telex is no longer in use."]}
    assert Incident.objects.get().category == fax


# --- an assignee works incidents -------------------------------------------------------------------

def test_the_api_refuses_to_assign_an_incident_to_a_team_member_who_does_not_work_incidents(api, agent, make_user):
    manager = make_user(Role.CHANGE_MANAGER, username="cm")
    team = make_team_with(agent, manager, name="Network")
    incident = make_incident(agent)
    api.force_authenticate(agent)

    response = api.post(f"{BASE}/{incident.pk}/assign/", {"assignment_group": team.pk, "assignee": manager.pk},
                        format="json")

    assert response.status_code == 400
    assert error_fields(response) == {"assignee": [f"{manager} does not work incidents."]}
    incident.refresh_from_db()
    assert (incident.assignment_group, incident.assignee) == (None, None)
