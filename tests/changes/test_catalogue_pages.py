"""The catalogue's pages: change settings for administrators, the catalogue for the staff, approving
and raising a standard change."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from changes.choices import ChangeModel, ChangeState
from changes.models import Change, ChangeCategory, StandardChangeTemplate
from changes.services.catalogue import template_update
from tests.changes.factories import PLANS
from tests.changes.factories_catalogue import make_template
from tests.config_items.factories import make_service

pytestmark = pytest.mark.django_db

WINDOW_FORMAT = "%Y-%m-%dT%H:%M"


def local(moment) -> str:
    return timezone.localtime(moment).strftime(WINDOW_FORMAT)


def test_administrators_manage_categories(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("change_category_create"), {"name": "Network", "is_active": "on"})
    assert response.status_code == 302
    again = client.post(reverse("change_category_create"), {"name": "network"})
    assert again.status_code == 200
    assert "There is already a category of this name." in again.content.decode()
    category = ChangeCategory.objects.get()
    client.post(reverse("change_category_update", args=[category.pk]), {"name": "Network"})
    assert not ChangeCategory.objects.get().is_active
    assert "Network" in client.get(reverse("change_category_list")).content.decode()


def test_agents_may_not_open_the_settings(client, agent):
    client.force_login(agent)
    for name in ("change_category_list", "change_template_list", "change_risk_settings", "change_template_create"):
        assert client.get(reverse(name)).status_code == 403, name


def test_change_managers_read_the_settings_but_do_not_change_them(client, change_manager):
    client.force_login(change_manager)
    assert client.get(reverse("change_template_list")).status_code == 200
    assert client.get(reverse("change_category_create")).status_code == 403
    assert client.post(reverse("change_category_create"), {"name": "Network"}).status_code == 403


def test_an_administrator_creates_a_template_a_change_manager_approves_it(client, admin_user, change_manager):
    mail = make_service(name="Mail")
    client.force_login(admin_user)
    response = client.post(reverse("change_template_create"), {
        "name": "Rotate certificates", "short_description": "Rotate the TLS certificates", **PLANS,
        "risk": "low", "services": [mail.pk], "duration_minutes": 45})
    assert response.status_code == 302, response.context["form"].errors
    template = StandardChangeTemplate.objects.get()
    assert list(template.services.all()) == [mail] and template.approved_at is None

    client.force_login(change_manager)
    catalogue = client.get(reverse("change_catalogue")).content.decode()
    assert "Not approved yet" in catalogue and reverse("change_template_approve", args=[template.pk]) in catalogue
    review = timezone.localdate() + timedelta(days=90)
    response = client.post(reverse("change_template_approve", args=[template.pk]),
                           {"review_date": review.isoformat(), "notes": "Routine", "version": template.version})
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.approved_by, template.review_date) == (change_manager, review)


def test_editing_the_plans_on_the_page_voids_the_approval(client, admin_user):
    template = make_template(admin_user)
    client.force_login(admin_user)
    data = {"name": template.name, "short_description": template.short_description, **PLANS,
            "test_plan": "Check the queues.", "risk": "low", "duration_minutes": 60, "version": template.version}
    response = client.post(reverse("change_template_update", args=[template.pk]), data, follow=True)
    assert "Its approval is void" in response.content.decode()
    assert StandardChangeTemplate.objects.get().approved_at is None


def test_an_agent_raises_and_schedules_a_standard_change(client, agent, admin_user):
    template = make_template(admin_user)
    client.force_login(agent)
    catalogue = client.get(reverse("change_catalogue")).content.decode()
    raise_url = reverse("change_template_raise", args=[template.pk])
    assert raise_url in catalogue
    form = client.get(raise_url)
    assert form.context["form"]["short_description"].value() == template.short_description
    start = timezone.now() + timedelta(hours=2)
    response = client.post(raise_url, {"short_description": "Rotate the relay certificates",
                                       "planned_start": local(start), "schedule": "on"})
    change = Change.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("change_detail", args=[change.pk])
    assert (change.change_model, change.state, change.template) == (ChangeModel.STANDARD, ChangeState.SCHEDULED,
                                                                     template)
    assert change.planned_end - change.planned_start == timedelta(minutes=template.duration_minutes)
    assert change.short_description == "Rotate the relay certificates"


def test_an_unusable_template_is_not_offered(client, agent, admin_user):
    template = make_template(admin_user)
    template_update(actor=admin_user, template=template, data={"risk": "high"})
    client.force_login(agent)
    raise_url = reverse("change_template_raise", args=[template.pk])
    assert raise_url not in client.get(reverse("change_catalogue")).content.decode()
    response = client.get(raise_url, follow=True)
    assert "must be approved again" in response.content.decode()
    response = client.post(raise_url, {"short_description": "Anyway"})
    assert response.status_code == 200
    assert "must be approved again" in response.content.decode()
    assert not Change.objects.exists()


def test_auditors_read_the_catalogue_without_buttons(client, auditor, admin_user):
    template = make_template(admin_user)
    client.force_login(auditor)
    page = client.get(reverse("change_catalogue")).content.decode()
    assert template.name in page and reverse("change_template_raise", args=[template.pk]) not in page
    assert client.get(reverse("change_template_detail", args=[template.pk])).status_code == 200
    assert client.get(reverse("change_template_raise", args=[template.pk])).status_code == 403


def test_the_catalogue_is_constant_in_queries(client, agent, admin_user, django_assert_max_num_queries):
    mail = make_service(name="Mail")
    for n in range(8):
        make_template(admin_user, name=f"Template {n}", services=[mail])
    client.force_login(agent)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("change_catalogue"))
    assert response.content.decode().count("data-template=") == 8


def test_the_template_page_shows_its_approvals(client, agent, admin_user):
    template = make_template(admin_user)
    client.force_login(agent)
    page = client.get(reverse("change_template_detail", args=[template.pk])).content.decode()
    assert 'id="template-approvals"' in page and str(admin_user) in page
