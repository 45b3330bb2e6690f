"""Incident settings pages: categories and the priority matrix (administrators write, staff read)."""

import pytest
from django.urls import reverse

from incidents import services
from incidents.choices import DEFAULT_PRIORITY_MATRIX, Impact, Urgency
from incidents.models import Category, PriorityRule
from itsm.choices import Role
from tests.assertions import assert_nothing_written
from tests.incidents.factories import make_incident

pytestmark = pytest.mark.django_db


def matrix_post(**changes):
    """The whole grid as the page posts it: the default matrix with `changes` ({"cell_1_3": 1})."""
    data = {f"cell_{i}_{u}": p for (i, u), p in DEFAULT_PRIORITY_MATRIX.items()}
    data.update(changes)
    return data


@pytest.fixture
def hardware(admin_user):
    """A category with two subcategories (besides the default ones of the data migration)."""
    hardware = services.category_create(actor=admin_user, name="Telephony")
    services.category_create(actor=admin_user, name="Headset", parent=hardware)
    services.category_create(actor=admin_user, name="Desk phone", parent=hardware)
    return hardware


# --- categories -----------------------------------------------------------------------------------

def test_staff_read_the_categories_with_their_subcategories(client, agent, hardware, admin_user):
    services.category_create(actor=admin_user, name="Facilities")
    client.force_login(agent)

    response = client.get(reverse("incident_category_list"))

    tree = {c.name: [s.name for s in subs] for c, subs in response.context["tree"]}
    assert tree["Telephony"] == ["Desk phone", "Headset"]
    assert tree["Facilities"] == []
    assert tree["Access"] == ["Password / account", "Permissions"]  # from the data migration
    assert list(tree) == sorted(tree)
    assert "Headset" not in tree
    assert not response.context["can_write"]
    assert reverse("incident_category_create") not in response.content.decode()


def test_an_administrator_creates_a_category(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("incident_category_create"), {"name": "Facilities", "is_active": "on"})

    assert response.status_code == 302
    assert response["Location"] == reverse("incident_category_list")
    created = Category.objects.get(name="Facilities")
    assert (created.parent, created.is_active) == (None, True)
    assert created.history.get().history_user == admin_user


def test_an_administrator_adds_a_subcategory_from_the_list(client, admin_user, hardware):
    client.force_login(admin_user)

    form = client.get(reverse("incident_category_create") + f"?parent={hardware.pk}").context["form"]
    client.post(reverse("incident_category_create"), {"name": "Monitor", "parent": hardware.pk, "is_active": "on"})

    assert form["parent"].value() == str(hardware.pk)
    assert Category.objects.get(name="Monitor").parent == hardware


def test_a_duplicate_name_is_refused_and_nothing_is_written(client, admin_user, hardware):
    client.force_login(admin_user)

    with assert_nothing_written():
        response = client.post(reverse("incident_category_create"), {"name": "telephony", "is_active": "on"})

    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["There is already a category of this name here."]


def test_a_subcategory_cannot_be_a_parent(client, admin_user, hardware):
    client.force_login(admin_user)
    printer = Category.objects.get(name="Headset")

    response = client.get(reverse("incident_category_create"))

    assert hardware in response.context["form"].fields["parent"].queryset
    assert printer not in response.context["form"].fields["parent"].queryset


def test_an_administrator_renames_and_deactivates_a_category(client, admin_user, hardware):
    client.force_login(admin_user)
    headset = Category.objects.get(name="Headset")

    response = client.post(reverse("incident_category_update", args=[headset.pk]),
                           {"name": "Headsets", "parent": hardware.pk})

    headset.refresh_from_db()
    assert response.status_code == 302
    assert (headset.name, headset.parent, headset.is_active) == ("Headsets", hardware, False)


def test_a_category_with_subcategories_cannot_become_one(client, admin_user, hardware):
    access = Category.objects.get(name="Access", parent=None)
    client.force_login(admin_user)

    response = client.post(reverse("incident_category_update", args=[hardware.pk]),
                           {"name": "Telephony", "parent": access.pk, "is_active": "on"})

    hardware.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors["parent"] == [
        "A category with subcategories cannot become a subcategory."]
    assert hardware.parent is None


def test_the_edit_form_does_not_offer_the_category_as_its_own_parent(client, admin_user, hardware):
    client.force_login(admin_user)

    response = client.get(reverse("incident_category_update", args=[hardware.pk]))

    assert hardware not in response.context["form"].fields["parent"].queryset


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEAD, Role.AUDITOR])
def test_only_administrators_change_categories(client, make_user, hardware, role):
    client.force_login(make_user(role))
    before = sorted(Category.objects.values_list("name", flat=True))

    create = client.post(reverse("incident_category_create"), {"name": "Facilities", "is_active": "on"})
    update = client.post(reverse("incident_category_update", args=[hardware.pk]), {"name": "Renamed"})
    form = client.get(reverse("incident_category_create"))

    assert (create.status_code, update.status_code, form.status_code) == (403, 403, 403)
    assert sorted(Category.objects.values_list("name", flat=True)) == before


def test_requesters_see_no_settings(client, requester):
    client.force_login(requester)

    assert client.get(reverse("incident_category_list")).status_code == 403
    assert client.get(reverse("incident_priority_matrix")).status_code == 403


# --- priority matrix ------------------------------------------------------------------------------

def test_the_matrix_shows_the_three_by_three_grid(client, agent):
    client.force_login(agent)

    response = client.get(reverse("incident_priority_matrix"))

    grid = response.context["form"].grid()
    assert [[priority.value for _field, priority in cells] for _impact, cells in grid] == [
        [1, 2, 3], [2, 3, 4], [3, 4, 5]]
    assert "<select" not in response.content.decode()  # read only for agents
    assert "P1 - Critical" in response.content.decode()


def test_an_administrator_changes_one_cell(client, admin_user, agent):
    client.force_login(admin_user)

    response = client.post(reverse("incident_priority_matrix"), matrix_post(cell_1_3=1))

    assert response.status_code == 302
    assert list(PriorityRule.history.filter(history_user=admin_user).values_list("impact", "urgency", "priority")) == [
        (1, 3, 1)]
    assert PriorityRule.objects.get(impact=1, urgency=3).priority == 1
    # and incidents classified from now on follow it
    assert make_incident(agent, impact=Impact.HIGH, urgency=Urgency.LOW).priority == 1


def test_saving_an_unchanged_matrix_writes_nothing(client, admin_user):
    client.force_login(admin_user)

    with assert_nothing_written():
        client.post(reverse("incident_priority_matrix"), matrix_post())


def test_a_wrong_cell_is_refused_and_nothing_is_written(client, admin_user):
    client.force_login(admin_user)
    before = list(PriorityRule.objects.values_list("impact", "urgency", "priority"))

    response = client.post(reverse("incident_priority_matrix"), matrix_post(cell_1_1=2, cell_3_3=9))

    assert response.status_code == 400
    assert "cell_3_3" in response.context["form"].errors
    assert list(PriorityRule.objects.values_list("impact", "urgency", "priority")) == before


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEAD, Role.AUDITOR])
def test_only_administrators_change_the_matrix(client, make_user, role):
    client.force_login(make_user(role))
    before = list(PriorityRule.objects.values_list("impact", "urgency", "priority"))

    response = client.post(reverse("incident_priority_matrix"), matrix_post(cell_1_3=1))

    assert response.status_code == 403
    assert list(PriorityRule.objects.values_list("impact", "urgency", "priority")) == before
