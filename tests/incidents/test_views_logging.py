"""Logging an incident through the service desk's form, and editing it."""

import json
import re

import pytest
from django.urls import reverse

from incidents import services
from incidents.choices import Channel, IncidentState
from incidents.models import Incident
from itsm.choices import Role
from tests.config_items.factories import make_ci, make_service
from tests.factories import CustomerFactory
from tests.incidents.factories import make_incident, make_team_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(agent):
    return make_team_with(agent, name="Service desk")


@pytest.fixture
def caller(requester):
    return requester


@pytest.fixture
def categories(admin_user):
    network = services.category_create(actor=admin_user, name="Test network")
    wifi = services.category_create(actor=admin_user, name="Wi-Fi", parent=network)
    email = services.category_create(actor=admin_user, name="Test email")
    spam = services.category_create(actor=admin_user, name="Spam", parent=email)
    return {"network": network, "wifi": wifi, "email": email, "spam": spam}


def form_data(**data):
    values = {"short_description": "VPN drops every 5 minutes", "impact": "2", "urgency": "1",
              "channel": Channel.PHONE, "description": "Since this morning."}
    values.update(data)
    return values


def test_the_form_offers_the_priority_matrix_and_searches(client, agent, admin_user):
    services.priority_matrix_update(actor=admin_user, cells={(2, 1): 1})
    client.force_login(agent)

    response = client.get(reverse("incident_create"))

    content = response.content.decode()
    assert response.status_code == 200
    matrix = json.loads(re.search(r'data-priority-matrix="([^"]*)"', content).group(1).replace("&quot;", '"'))
    assert matrix["2-1"] == 1 and matrix["3-3"] == 5
    assert f'data-search-url="{reverse("incident_caller_search")}"' in content
    assert 'name="short_description"' in content and "autofocus" in content
    assert "data-submit-shortcut" in content
    assert 'src="/static/js/incidents.js"' in content


def test_an_agent_logs_an_incident_priority_from_the_matrix_assigned_and_lands_on_its_page(
        client, agent, desk, caller, categories):
    service = make_service(name="VPN")
    ci = make_ci(name="vpn-gw-1")
    client.force_login(agent)

    response = client.post(reverse("incident_create"), form_data(
        caller=caller.pk, service=service.pk, cis=[ci.pk], category=categories["network"].pk,
        subcategory=categories["wifi"].pk, assignment_group=desk.pk, assignee=agent.pk))

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incident_detail", args=[incident.pk])
    assert incident.priority == 2  # impact 2 × urgency 1 in the default matrix
    assert (incident.caller, incident.service, incident.assignment_group, incident.assignee) == (
        caller, service, desk, agent)
    assert list(incident.cis.all()) == [ci]
    assert incident.subcategory == categories["wifi"]
    assert incident.created_by == agent
    page = client.get(response["Location"]).content.decode()
    assert f"Incident {incident.number}" in page and "logged" in page


def test_an_outside_caller_is_named_by_the_contact_fields(client, agent):
    client.force_login(agent)

    client.post(reverse("incident_create"), form_data(contact_name="Li Wei", contact_phone="+86 10 5555",
                                                      contact_email="li@example.com"))

    incident = Incident.objects.get()
    assert (incident.caller, incident.contact_name, incident.contact_email) == (None, "Li Wei", "li@example.com")


def test_a_missing_caller_is_an_error_on_the_caller_field_and_the_input_is_kept(client, agent):
    client.force_login(agent)

    response = client.post(reverse("incident_create"), form_data(short_description="Printer on fire"))

    content = response.content.decode()
    assert response.status_code == 200
    assert Incident.objects.count() == 0
    assert "Name the caller: a user, or a contact name." in content
    assert re.search(r'id="id_caller_error"', content)
    assert 'value="Printer on fire"' in content


def test_a_subcategory_of_another_category_is_refused_on_its_field(client, agent, caller, categories):
    client.force_login(agent)

    response = client.post(reverse("incident_create"), form_data(
        caller=caller.pk, category=categories["network"].pk, subcategory=categories["spam"].pk))

    assert Incident.objects.count() == 0
    assert "This subcategory belongs to another category." in response.context["form"].errors["subcategory"]


def test_subcategories_carry_their_category_for_the_script(client, agent, categories):
    client.force_login(agent)

    content = client.get(reverse("incident_create")).content.decode()

    assert f'value="{categories["wifi"].pk}" data-parent="{categories["network"].pk}"' in content
    assert f'value="{categories["spam"].pk}" data-parent="{categories["email"].pk}"' in content


def test_an_assignee_outside_the_group_is_refused_on_the_assignee_field(client, agent, team_lead, desk, caller):
    client.force_login(agent)

    response = client.post(reverse("incident_create"), form_data(caller=caller.pk, assignment_group=desk.pk,
                                                                 assignee=team_lead.pk))

    assert Incident.objects.count() == 0
    assert response.context["form"].errors["assignee"] == [f"{team_lead} is not a member of {desk}."]


def test_a_ci_that_is_not_a_service_is_refused_as_the_service(client, agent, caller):
    ci = make_ci(name="just-an-app")
    client.force_login(agent)

    response = client.post(reverse("incident_create"), form_data(caller=caller.pk, service=ci.pk))

    assert Incident.objects.count() == 0
    assert "service" in response.context["form"].errors
    # the chosen CI stays chosen (only chosen options are rendered in a search select)
    assert 'name="caller"' in response.content.decode()


def test_a_parent_is_given_by_its_number(client, agent, caller):
    parent = make_incident(agent, caller=caller, short_description="Datacentre power")
    client.force_login(agent)

    client.post(reverse("incident_create"), form_data(caller=caller.pk, parent=parent.number.lower()))
    response = client.post(reverse("incident_create"), form_data(caller=caller.pk, parent="INC9999999"))

    assert Incident.objects.get(short_description="VPN drops every 5 minutes").parent == parent
    assert response.context["form"].errors["parent"] == ["There is no incident INC9999999."]


def test_auditors_and_requesters_cannot_open_the_form(client, auditor, requester):
    for user in (auditor, requester):
        client.force_login(user)
        assert client.get(reverse("incident_create")).status_code == 403
        assert client.post(reverse("incident_create"), form_data(contact_name="x")).status_code == 403
    assert Incident.objects.count() == 0


def test_possible_duplicates_list_open_incidents_on_the_service_or_ci(client, agent, caller):
    service = make_service(name="Mail")
    ci = make_ci(name="mx-1")
    on_service = make_incident(agent, caller=caller, service=service, short_description="No mail")
    on_ci = make_incident(agent, caller=caller, cis=[ci], short_description="MX bounces")
    closed = make_incident(agent, caller=caller, service=service, short_description="Old mail issue")
    services.incident_transition(actor=agent, incident=closed, name="cancel")
    elsewhere = make_incident(agent, caller=caller, short_description="Unrelated")
    client.force_login(agent)

    content = client.get(reverse("incident_duplicates"), {"service": service.pk, "cis": [ci.pk]}).content.decode()
    nothing = client.get(reverse("incident_duplicates")).content.decode()

    assert on_service.number in content and on_ci.number in content
    assert closed.number not in content and elsewhere.number not in content
    assert "Choose a service or CI" in nothing


def test_caller_search_finds_people_by_name_username_or_email(client, agent, make_user):
    wang = make_user(Role.REQUESTER, username="wfang", first_name="Fang", last_name="Wang",
                     email="fang.wang@example.com")
    make_user(Role.REQUESTER, username="other", first_name="Bob", last_name="Smith", email="bob@example.com")
    client.force_login(agent)

    by_name = client.get(reverse("incident_caller_search"), {"q": "fang wang"}).json()["results"]
    by_email = client.get(reverse("incident_caller_search"), {"q": "fang.wang@"}).json()["results"]

    assert [r["value"] for r in by_name] == [wang.pk] == [r["value"] for r in by_email]
    assert by_name[0]["text"] == "Fang Wang (wfang) fang.wang@example.com"


def test_ci_search_offers_only_services_when_asked(client, agent):
    service = make_service(name="Payroll")
    app = make_ci(name="payroll-app")
    client.force_login(agent)

    everything = client.get(reverse("incident_ci_search"), {"q": "payroll"}).json()["results"]
    only_services = client.get(reverse("incident_ci_search"), {"q": "payroll", "service": "1"}).json()["results"]

    assert {r["value"] for r in everything} == {service.pk, app.pk}
    assert [r["value"] for r in only_services] == [service.pk]


def test_ci_search_answers_a_bounded_page_of_matches_as_json(client, agent):
    for n in range(25):
        make_service(name=f"Payroll <{n}>")
    client.force_login(agent)

    response = client.get(reverse("incident_ci_search"), {"q": "payroll", "service": "1"})

    results = response.json()["results"]
    assert len(results) == 20  # SEARCH_RESULTS: Tom Select asks again as the person types on
    assert results[0]["text"].split(" ", 1)[1] == "Payroll <0> (Business service)"  # text, escaped by Tom Select
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("url_name", ["incident_ci_search", "incident_caller_search"])
def test_picker_searches_refuse_requesters_and_ask_anonymous_callers_to_sign_in(client, requester, url_name):
    anonymous = client.get(reverse(url_name), {"q": "a"})
    client.force_login(requester)
    refused = client.get(reverse(url_name), {"q": "a"})

    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert refused.status_code == 403


def test_editing_changes_the_priority_and_keeps_the_customer(client, agent, caller):
    customer = CustomerFactory(name="ACME")
    incident = make_incident(agent, caller=caller, customer=customer)
    client.force_login(agent)

    form = client.get(reverse("incident_update", args=[incident.pk])).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None and name != "cis"}
    data.update(caller=caller.pk, customer=customer.pk, impact="1", urgency="1", parent="", version=incident.version)
    response = client.post(reverse("incident_update", args=[incident.pk]), data)

    incident.refresh_from_db()
    assert response.status_code == 302, response.context["form"].errors
    assert incident.priority == 1
    assert incident.customer == customer


def test_a_stale_edit_says_someone_else_changed_it(client, agent, caller):
    incident = make_incident(agent, caller=caller)
    client.force_login(agent)
    old_version = incident.version
    services.incident_comment(actor=agent, incident=incident, body="first response")  # changes the version
    incident.refresh_from_db()
    assert incident.version != old_version

    response = client.post(reverse("incident_update", args=[incident.pk]), form_data(
        caller=caller.pk, version=old_version, short_description="Changed"))

    assert response.status_code == 200
    assert "was changed by someone else" in response.content.decode()
    incident.refresh_from_db()
    assert incident.short_description == "Mail is down"


def test_a_closed_incident_cannot_be_edited(client, agent, caller):
    incident = make_incident(agent, caller=caller)
    services.incident_transition(actor=agent, incident=incident, name="cancel")
    client.force_login(agent)

    response = client.get(reverse("incident_update", args=[incident.pk]))

    assert response.status_code == 302
    assert Incident.objects.get().state == IncidentState.CANCELLED


def test_the_edit_form_shows_the_parent_by_number_and_only_the_chosen_cis(client, agent, caller):
    parent = make_incident(agent, caller=caller, short_description="Outage")
    chosen, other = make_ci(name="chosen-ci"), make_ci(name="other-ci")
    incident = make_incident(agent, caller=caller, parent=parent, cis=[chosen])
    client.force_login(agent)

    content = client.get(reverse("incident_update", args=[incident.pk])).content.decode()

    assert f'name="parent" value="{parent.number}"' in content
    assert f'<option value="{chosen.pk}" selected>' in content
    cis_select = re.search(r'<select name="cis".*?</select>', content, re.S).group(0)
    assert f'value="{other.pk}"' not in cis_select  # the rest comes from the search URL
    assert f'name="version" value="{incident.version}"' in content


def test_the_form_can_start_from_a_service_and_a_caller(client, agent, caller):
    service = make_service(name="Intranet")
    client.force_login(agent)

    content = client.get(reverse("incident_create"), {"service": service.pk, "caller": caller.pk}).content.decode()

    assert f'<option value="{service.pk}" selected>' in content
    assert f'<option value="{caller.pk}" selected>' in content
