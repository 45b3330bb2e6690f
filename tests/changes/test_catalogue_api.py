"""The catalogue's API: categories, templates and their approval, raising a standard change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes.choices import ChangeModel, ChangeState
from changes.models import Change
from changes.services.catalogue import template_update
from tests.changes.factories import PLANS, window
from tests.changes.factories_catalogue import make_template
from tests.config_items.factories import make_ci, make_service

pytestmark = pytest.mark.django_db

BASE = "/api/v1/changes"


def as_user(api, user):
    api.force_authenticate(user)
    return api


def iso(moment):
    return moment.isoformat()


# --- categories -----------------------------------------------------------------------------------

def test_administrators_create_categories_others_read(api, admin_user, agent):
    response = as_user(api, admin_user).post(f"{BASE}/categories/", {"name": "Network"})
    assert response.status_code == 201, response.json()
    again = api.post(f"{BASE}/categories/", {"name": "NETWORK"})
    assert again.status_code == 400
    assert "name" in again.json()["error"]["fields"]
    assert as_user(api, agent).get(f"{BASE}/categories/").json()["results"][0]["name"] == "Network"
    assert api.post(f"{BASE}/categories/", {"name": "Storage"}).status_code == 403


def test_a_category_is_deactivated_by_patch(api, admin_user):
    pk = as_user(api, admin_user).post(f"{BASE}/categories/", {"name": "Network"}).json()["id"]
    response = api.patch(f"{BASE}/categories/{pk}/", {"is_active": False})
    assert response.status_code == 200 and response.json()["is_active"] is False


# --- templates ------------------------------------------------------------------------------------

def template_body(**extra):
    return {"name": "Rotate certificates", "short_description": "Rotate the TLS certificates", **PLANS, **extra}


def test_a_template_is_created_unapproved(api, admin_user):
    response = as_user(api, admin_user).post(f"{BASE}/templates/", template_body())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["usable"], body["approved_at"]) == (False, None)
    assert "not been approved" in body["unusable_reason"]


def test_template_services_must_be_services(api, admin_user):
    server = make_ci(name="db-01", type_slug="server")
    response = as_user(api, admin_user).post(f"{BASE}/templates/", template_body(services=[server.pk]))
    assert response.status_code == 400
    assert "services" in response.json()["error"]["fields"]


def test_change_managers_approve_agents_and_auditors_do_not(api, admin_user, change_manager, agent, auditor):
    template = make_template(admin_user, approved=False)
    body = {"review_date": (timezone.localdate() + timedelta(days=60)).isoformat(), "notes": "Weekly, low risk"}
    for person in (agent, auditor):
        assert as_user(api, person).post(f"{BASE}/templates/{template.pk}/approve/", body).status_code == 403
    response = as_user(api, change_manager).post(f"{BASE}/templates/{template.pk}/approve/", body)
    assert response.status_code == 200, response.json()
    assert response.json()["usable"] is True
    assert response.json()["approved_by"]["id"] == change_manager.pk
    assert as_user(api, change_manager).patch(f"{BASE}/templates/{template.pk}/", {"name": "x"},
                                              HTTP_IF_MATCH="*").status_code == 403


def test_an_approval_in_the_past_is_refused(api, change_manager, admin_user):
    template = make_template(admin_user, approved=False)
    response = as_user(api, change_manager).post(f"{BASE}/templates/{template.pk}/approve/",
                                                 {"review_date": timezone.localdate().isoformat()})
    assert response.status_code == 400
    assert "review_date" in response.json()["error"]["fields"]


def test_editing_the_plans_voids_the_approval(api, admin_user):
    template = make_template(admin_user)
    response = as_user(api, admin_user).patch(f"{BASE}/templates/{template.pk}/", {"test_plan": "Check the logs."},
                                              HTTP_IF_MATCH=f'"{template.pk}-{template.version}"')
    assert response.status_code == 200, response.json()
    assert response.json()["usable"] is False
    assert "approved again" in response.json()["unusable_reason"]


def test_template_updates_need_a_version(api, admin_user):
    template = make_template(admin_user)
    assert as_user(api, admin_user).patch(f"{BASE}/templates/{template.pk}/", {"name": "x"}).status_code == 428
    stale = api.patch(f"{BASE}/templates/{template.pk}/", {"name": "x", "version": template.version - 1})
    assert stale.status_code == 412


def test_the_review_date_is_not_edited(api, admin_user):
    template = make_template(admin_user)
    later = (template.review_date + timedelta(days=365)).isoformat()
    response = as_user(api, admin_user).patch(f"{BASE}/templates/{template.pk}/", {"review_date": later},
                                              HTTP_IF_MATCH="*")
    assert response.status_code == 400
    assert "review_date" in response.json()["error"]["fields"]


def test_retiring_a_template(api, admin_user):
    template = make_template(admin_user)
    response = as_user(api, admin_user).post(f"{BASE}/templates/{template.pk}/retire/", {})
    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["usable"]) == (False, False)


def test_the_template_list_is_constant_in_queries(api, agent, admin_user, django_assert_max_num_queries):
    mail = make_service(name="Mail")
    for n in range(6):
        make_template(admin_user, name=f"Template {n}", services=[mail])
    as_user(api, agent)
    with django_assert_max_num_queries(8):
        response = api.get(f"{BASE}/templates/")
    assert response.json()["count"] == 6


# --- raising a standard change --------------------------------------------------------------------

def test_a_pipeline_raises_and_schedules_a_standard_change_once(api, agent, admin_user):
    template = make_template(admin_user)
    slot = window()
    body = {"template": template.pk, "planned_start": iso(slot["planned_start"]),
            "planned_end": iso(slot["planned_end"]), "schedule": True, "source": "pipeline"}
    as_user(api, agent)
    first = api.post(f"{BASE}/from-template/", body, HTTP_IDEMPOTENCY_KEY="deploy-42")
    assert first.status_code == 201, first.json()
    again = api.post(f"{BASE}/from-template/", body, HTTP_IDEMPOTENCY_KEY="deploy-42")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    change = Change.objects.get()
    assert (change.state, change.change_model, change.source) == (ChangeState.SCHEDULED, ChangeModel.STANDARD,
                                                                  "pipeline")
    body = first.json()
    assert (body["id"], body["number"], body["template"]["id"], body["risk"]) == (change.pk, change.number,
                                                                                 template.pk, "low")
    assert first["Location"] == f"{BASE}/{change.pk}/"


def test_a_lapsed_template_is_refused_with_its_date(api, agent, admin_user, monkeypatch):
    template = make_template(admin_user)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: template.review_date + timedelta(days=1))
    response = as_user(api, agent).post(f"{BASE}/from-template/", {"template": template.pk})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["template"][0].startswith("The template's approval lapsed on")
    assert not Change.objects.exists()


def test_an_edited_template_must_be_approved_again(api, agent, admin_user):
    template = make_template(admin_user)
    template_update(actor=admin_user, template=template, data={"risk": "moderate"})
    response = as_user(api, agent).post(f"{BASE}/from-template/", {"template": template.pk})
    assert response.status_code == 400
    assert "approved again" in response.json()["error"]["fields"]["template"][0]
    assert not Change.objects.exists()


def test_unknown_fields_are_refused(api, agent, admin_user):
    template = make_template(admin_user)
    response = as_user(api, agent).post(f"{BASE}/from-template/", {"template": template.pk, "risk": "low"})
    assert response.status_code == 400
    assert "risk" in response.json()["error"]["fields"]


def test_auditors_and_read_only_tokens_raise_nothing(api, auditor, agent, admin_user, token_client):
    template = make_template(admin_user)
    assert as_user(api, auditor).post(f"{BASE}/from-template/", {"template": template.pk}).status_code == 403
    read_only = token_client(agent, read_only=True)
    assert read_only.post(f"{BASE}/from-template/", {"template": template.pk}).status_code == 403
    assert read_only.get(f"{BASE}/templates/").status_code == 200
    assert not Change.objects.exists()
