"""The standard-change catalogue's rules, through its services."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from changes.choices import ChangeModel, ChangeSource, ChangeState, RiskLevel
from changes.models import Change, ChangeCategory
from changes.services.catalogue import (
    category_create,
    category_deactivate,
    category_update,
    change_create_from_template,
    template_approve,
    template_retire,
    template_update,
    template_usable,
)
from itsm.exceptions import GuardFailed, NotPermitted, StaleRecord
from itsm.models import JournalEntry
from tests.changes.factories import window
from tests.changes.factories_catalogue import make_template
from tests.config_items.factories import make_ci, make_service
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


# --- categories -----------------------------------------------------------------------------------

def test_category_names_are_unique_ignoring_case(admin_user):
    category_create(actor=admin_user, data={"name": "Network"})
    with pytest.raises(ValidationError) as error:
        category_create(actor=admin_user, data={"name": " network "})
    assert "name" in error.value.message_dict


def test_only_administrators_keep_categories(agent, change_manager, admin_user):
    for person in (agent, change_manager):
        with pytest.raises(NotPermitted):
            category_create(actor=person, data={"name": "Network"})
    category = category_create(actor=admin_user, data={"name": "Network"})
    with pytest.raises(NotPermitted):
        category_update(actor=change_manager, category=category, data={"name": "Networks"})


def test_a_deactivated_category_keeps_its_history(admin_user):
    category = category_create(actor=admin_user, data={"name": "Network"})
    category = category_deactivate(actor=admin_user, category=category)
    assert not ChangeCategory.objects.get(pk=category.pk).is_active
    assert category.history.count() == 2
    with pytest.raises(ValidationError):
        category_update(actor=admin_user, category=category, data={"colour": "red"})


# --- templates and their approval -----------------------------------------------------------------

def test_a_new_template_waits_for_its_approval(admin_user):
    template = make_template(admin_user, approved=False)
    assert template.approved_at is None
    assert "not been approved" in template_usable(template)


def test_change_managers_approve_templates_agents_do_not(agent, change_manager, admin_user):
    template = make_template(admin_user, approved=False)
    review = timezone.localdate() + timedelta(days=90)
    with pytest.raises(NotPermitted):
        template_approve(actor=agent, template=template, review_date=review)
    template = template_approve(actor=change_manager, template=template, notes="Low risk, done weekly",
                                review_date=review)
    assert (template.approved_by, template.review_date, template.approval_notes) == (
        change_manager, review, "Low risk, done weekly")
    assert template_usable(template) is None


def test_an_approval_needs_a_review_date_after_today(change_manager, admin_user):
    template = make_template(admin_user, approved=False)
    with pytest.raises(ValidationError) as error:
        template_approve(actor=change_manager, template=template, review_date=timezone.localdate())
    assert "review_date" in error.value.message_dict


def test_editing_plans_services_or_risk_voids_the_approval(admin_user):
    for data in ({"backout_plan": "Roll back from the snapshot."}, {"risk": RiskLevel.MODERATE},
                 {"services": [make_service(name="Mail")]}):
        template = make_template(admin_user, name=f"Template {sorted(data)[0]}")
        template = template_update(actor=admin_user, template=template, data=data)
        assert template.approved_at is None, data
        assert "edited since its approval" in template_usable(template)


def test_editing_the_name_keeps_the_approval(admin_user):
    template = make_template(admin_user)
    template = template_update(actor=admin_user, template=template, data={"name": "Restart relays"})
    assert template.approved_at is not None


def test_template_edits_check_the_version(admin_user):
    template = make_template(admin_user)
    with pytest.raises(StaleRecord):
        template_update(actor=admin_user, template=template, data={"name": "x"},
                        expected_version=template.version - 1)


def test_template_services_must_be_services(admin_user):
    with pytest.raises(ValidationError) as error:
        make_template(admin_user, services=[make_ci(name="db-01", type_slug="server")])
    assert "services" in error.value.message_dict


def test_a_retired_template_is_refused(admin_user):
    template = template_retire(actor=admin_user, template=make_template(admin_user))
    assert "retired" in template_usable(template)


def test_a_lapsed_approval_is_refused(admin_user):
    template = make_template(admin_user)
    tomorrow = timezone.localdate() + timedelta(days=31)
    assert template_usable(template, today=template.review_date) is None  # the review date itself is still in
    assert "lapsed on" in template_usable(template, today=tomorrow)


# --- raising a standard change --------------------------------------------------------------------

def test_a_standard_change_takes_the_template(agent, admin_user):
    group = TeamFactory(members=[agent])
    category = category_create(actor=admin_user, data={"name": "Maintenance"})
    mail = make_service(name="Mail")
    template = make_template(admin_user, services=[mail], assignment_group=group, category=category,
                             risk=RiskLevel.MODERATE)
    change = change_create_from_template(actor=agent, template=template, data={"implementer": agent})
    change = Change.objects.get(pk=change.pk)
    assert (change.change_model, change.source, change.template) == (ChangeModel.STANDARD, ChangeSource.TEMPLATE,
                                                                     template)
    assert (change.short_description, change.backout_plan) == (template.short_description, template.backout_plan)
    assert (change.category, change.assignment_group, change.implementer) == (category, group, agent)
    assert list(change.services.all()) == [mail]
    assert change.risk == RiskLevel.MODERATE and change.risk_assessed_at is not None
    assert JournalEntry.objects.filter(object_id=change.pk, body__contains=template.name).exists()


def test_raising_from_an_unusable_template_creates_nothing(agent, admin_user):
    template = make_template(admin_user)
    template_update(actor=admin_user, template=template, data={"test_plan": "Check the queue."})
    with pytest.raises(ValidationError) as error:
        change_create_from_template(actor=agent, template=template, data={})
    assert "approved again" in error.value.message_dict["template"][0]
    assert not Change.objects.exists()


def test_a_lapsed_template_names_the_date(agent, admin_user, monkeypatch):
    template = make_template(admin_user)
    later = template.review_date + timedelta(days=1)
    monkeypatch.setattr("changes.services.catalogue.timezone.localdate", lambda: later)
    with pytest.raises(ValidationError) as error:
        change_create_from_template(actor=agent, template=template, data={})
    assert "The template's approval lapsed on" in error.value.message_dict["template"][0]


def test_only_the_allowed_fields_may_be_given(agent, admin_user):
    with pytest.raises(ValidationError) as error:
        change_create_from_template(actor=agent, template=make_template(admin_user), data={"backout_plan": "x"})
    assert "backout_plan" in error.value.message_dict


def test_schedule_at_once(agent, admin_user):
    change = change_create_from_template(actor=agent, template=make_template(admin_user), data=window(),
                                         schedule=True)
    assert change.state == ChangeState.SCHEDULED
    assert change.authorised_at is not None  # the template's approval stands for it


def test_a_start_alone_ends_after_the_usual_duration(agent, admin_user):
    start = window()["planned_start"]
    change = change_create_from_template(actor=agent, template=make_template(admin_user, duration_minutes=30),
                                         data={"planned_start": start})
    assert change.planned_end == start + timedelta(minutes=30)


def test_scheduling_without_a_window_creates_nothing(agent, admin_user):
    with pytest.raises(ValidationError) as error:
        change_create_from_template(actor=agent, template=make_template(admin_user), data={}, schedule=True)
    assert "planned_start" in error.value.message_dict
    assert not Change.objects.exists()


def test_a_refused_schedule_creates_nothing(agent, admin_user, monkeypatch):
    monkeypatch.setattr("changes.services.conflicts.scheduling_refusal",
                        lambda change, override_reason="": {"planned_start": "Inside a blackout window."})
    with pytest.raises(GuardFailed):
        change_create_from_template(actor=agent, template=make_template(admin_user), data=window(), schedule=True)
    assert not Change.objects.exists()


def test_a_pipeline_source(agent, admin_user):
    change = change_create_from_template(actor=agent, template=make_template(admin_user), data={},
                                         source=ChangeSource.PIPELINE)
    assert change.source == ChangeSource.PIPELINE
    with pytest.raises(ValidationError):
        change_create_from_template(actor=agent, template=make_template(admin_user), data={},
                                    source=ChangeSource.MANUAL)


def test_requesters_and_auditors_raise_nothing(requester, auditor, admin_user):
    template = make_template(admin_user)
    for person in (requester, auditor):
        with pytest.raises(NotPermitted):
            change_create_from_template(actor=person, template=template, data={})
