"""Assignment rules in the incident settings pages and the API (/api/v1/incidents/assignment-rules/)."""

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import AssignmentRule
from tests.config_items.factories import make_service
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/incidents/assignment-rules"


@pytest.fixture
def desk():
    return TeamFactory(name="Service desk")


# --- pages ----------------------------------------------------------------------------------------

def test_staff_read_the_rules_and_only_administrators_see_the_buttons(client, agent, admin_user, desk):
    services.assignment_rule_create(actor=admin_user, data={"name": "Mail", "assignment_group": desk,
                                                            "service": make_service(name="Mail")})
    client.force_login(agent)

    page = client.get(reverse("incident_assignment_rule_list")).content.decode()

    assert "Mail" in page and "Service desk" in page
    assert reverse("incident_assignment_rule_create") not in page


def test_an_administrator_creates_and_edits_a_rule_from_the_pages(client, admin_user, desk):
    client.force_login(admin_user)
    mail = make_service(name="Mail")

    response = client.post(reverse("incident_assignment_rule_create"), {
        "name": "Mail to the desk", "service": mail.pk, "category": "", "assignment_group": desk.pk,
        "order": 10, "is_active": "on"})

    assert response.status_code == 302
    rule = AssignmentRule.objects.get()
    assert (rule.service, rule.category, rule.assignment_group, rule.order) == (mail, None, desk, 10)
    assert rule.history.first().history_user == admin_user

    stale = client.post(reverse("incident_assignment_rule_update", args=[rule.pk]), {
        "name": "Renamed", "service": mail.pk, "assignment_group": desk.pk, "order": 10, "version": 0})
    assert stale.status_code == 200  # the form again, with the error
    assert AssignmentRule.objects.get().name == "Mail to the desk"

    saved = client.post(reverse("incident_assignment_rule_update", args=[rule.pk]), {
        "name": "Renamed", "service": mail.pk, "assignment_group": desk.pk, "order": 10, "version": 1})
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.is_active, rule.version) == ("Renamed", False, 2)


def test_the_rule_form_holds_only_the_chosen_service_and_searches_the_others(client, admin_user, desk):
    mail, other = make_service(name="Mail"), make_service(name="Payroll")
    rule = services.assignment_rule_create(actor=admin_user, data={"name": "Mail", "assignment_group": desk,
                                                                   "service": mail})
    client.force_login(admin_user)

    edit = client.get(reverse("incident_assignment_rule_update", args=[rule.pk])).content.decode()
    new = client.get(reverse("incident_assignment_rule_create")).content.decode()

    select = edit[edit.index('<select name="service"'):]
    select = select[:select.index("</select>")]
    assert f'<option value="{mail.pk}" selected>{mail}</option>' in select and f'value="{other.pk}"' not in select
    assert f'data-search-url="{reverse("incident_ci_search")}?service=1"' in select
    new_select = new[new.index('<select name="service"'):]
    assert new_select[:new_select.index("</select>")].count("<option") == 1  # the empty choice only


def test_a_bad_rule_is_refused_with_the_field_named(client, admin_user, desk):
    client.force_login(admin_user)

    response = client.post(reverse("incident_assignment_rule_create"), {"name": "", "assignment_group": desk.pk,
                                                                        "order": 1})

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not AssignmentRule.objects.exists()


# --- API ------------------------------------------------------------------------------------------

def test_the_api_lists_creates_and_updates_rules(api, admin_user, agent, desk):
    mail = make_service(name="Mail")
    api.force_authenticate(admin_user)

    created = api.post(f"{BASE}/", {"name": "Mail", "service": mail.pk, "assignment_group": desk.pk, "order": 5},
                       format="json", HTTP_IDEMPOTENCY_KEY="rule-1")
    again = api.post(f"{BASE}/", {"name": "Mail", "service": mail.pk, "assignment_group": desk.pk, "order": 5},
                     format="json", HTTP_IDEMPOTENCY_KEY="rule-1")

    assert created.status_code == 201, created.json()
    assert again.json()["id"] == created.json()["id"]
    assert AssignmentRule.objects.count() == 1
    body = created.json()
    assert (body["service"]["id"], body["assignment_group"]["name"], body["category"], body["version"]) == (
        mail.pk, "Service desk", None, 1)

    url = f"{BASE}/{body['id']}/"
    assert api.patch(url, {"is_active": False}, format="json").status_code == 428
    assert api.patch(url, {"is_active": False}, format="json", HTTP_IF_MATCH=f'"{body["id"]}-0"').status_code == 412
    patched = api.patch(url, {"is_active": False, "version": 1}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["is_active"] is False

    api.force_authenticate(agent)
    assert api.get(f"{BASE}/?is_active=false").json()["results"][0]["name"] == "Mail"
    assert api.post(f"{BASE}/", {"name": "x", "assignment_group": desk.pk}, format="json").status_code == 403


def test_the_api_refuses_bad_input_with_field_messages(api, admin_user, desk):
    api.force_authenticate(admin_user)

    unknown = api.post(f"{BASE}/", {"name": "Mail", "assignment_group": desk.pk, "colour": "red"}, format="json")
    blank = api.post(f"{BASE}/", {"name": "", "assignment_group": desk.pk + 100}, format="json")

    assert unknown.status_code == blank.status_code == 400
    assert set(unknown.json()["error"]["fields"]) == {"colour"}
    assert set(blank.json()["error"]["fields"]) == {"name", "assignment_group"}
    assert not AssignmentRule.objects.exists()
