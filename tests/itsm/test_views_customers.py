"""Customer pages: list, export, create and edit, with service refusals shown on the form."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from itsm import services
from itsm.exceptions import NotPermitted
from itsm.models import Customer
from tests.assertions import assert_nothing_written
from tests.factories import CustomerFactory
from tests.itsm.test_views_teams import csv_rows

pytestmark = pytest.mark.django_db

LIST = reverse("customer_list")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_list_searches_name_and_code_and_filters_active(admin_client):
    CustomerFactory(code="acme", name="Acme Corporation")
    CustomerFactory(code="glob", name="Globex", is_active=False)
    CustomerFactory(code="init", name="Initech")

    def names(query):
        return [c.name for c in admin_client.get(LIST, query).context["object_list"]]

    assert names({"q": "acm"}) == ["Acme Corporation"]
    assert names({"q": "glob"}) == ["Globex"]
    assert names({"is_active": "false"}) == ["Globex"]
    assert names({"sort": "-code"}) == ["Initech", "Globex", "Acme Corporation"]


def test_the_list_uses_the_same_number_of_queries_for_1_or_30_customers(admin_client, django_assert_num_queries):
    CustomerFactory()
    with CaptureQueriesContext(connection) as one:
        admin_client.get(LIST)
    CustomerFactory.create_batch(29)

    with django_assert_num_queries(len(one)):
        admin_client.get(LIST)


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://evil.example\")", "+1+1", "-2+3", "@SUM(A1:A2)",
                                       "\tleading tab"])
def test_export_neutralises_cells_a_spreadsheet_would_run(admin_client, dangerous):
    CustomerFactory(code="x", name=dangerous)

    rows = csv_rows(admin_client.get(LIST, {"export": "csv"}))

    assert rows[1][:2] == ["x", f"'{dangerous}"]


def test_export_leaves_ordinary_text_alone(admin_client):
    CustomerFactory(code="acme", name="Acme, Inc. \"East\"", email="ops@acme.example")

    rows = csv_rows(admin_client.get(LIST, {"export": "csv"}))

    assert rows == [["Code", "Name", "Contact email", "Active", "Updated"],
                    ["acme", "Acme, Inc. \"East\"", "ops@acme.example", "Yes", rows[1][4]]]


def test_creating_a_customer(admin_client):
    response = admin_client.post(reverse("customer_create"),
                                 {"code": "acme", "name": "Acme", "email": "ops@acme.example", "is_active": "on"})

    customer = Customer.objects.get()
    assert response["Location"] == reverse("customer_detail", args=[customer.pk])
    assert (customer.code, customer.name, customer.email) == ("acme", "Acme", "ops@acme.example")
    assert customer.is_active


def test_a_duplicate_code_is_a_field_error_and_keeps_what_was_typed(admin_client):
    CustomerFactory(code="acme")

    with assert_nothing_written():
        response = admin_client.post(reverse("customer_create"), {"code": "acme", "name": "Typed name"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["code"]
    assert 'value="Typed name"' in response.content.decode()


def test_a_service_refusal_becomes_a_field_error_with_the_input_kept(admin_client, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"email": "This address bounces.", "unknown_field": "Something else is wrong."})

    monkeypatch.setattr(services, "customer_create", refuse)

    response = admin_client.post(reverse("customer_create"), {"code": "acme", "name": "Acme", "email": "a@b.example"})

    form = response.context["form"]
    assert form.errors["email"] == ["This address bounces."]
    assert form.non_field_errors() == ["Something else is wrong."]
    assert 'value="a@b.example"' in response.content.decode()


def test_a_stale_edit_shows_the_conflict_and_writes_nothing(admin_client, admin_user):
    customer = CustomerFactory(code="acme", name="Acme")
    services.customer_update(actor=admin_user, customer=customer, data={"name": "Acme Corp"})

    response = admin_client.post(reverse("customer_update", args=[customer.pk]),
                                 {"code": "acme", "name": "ACME Ltd", "version": 1})

    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert 'value="ACME Ltd"' in response.content.decode()
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("Acme Corp", 2)


def test_editing_with_the_current_version_saves_and_says_so(admin_client):
    customer = CustomerFactory(code="acme", name="Acme")

    response = admin_client.post(reverse("customer_update", args=[customer.pk]),
                                 {"code": "acme", "name": "Acme Corp", "version": 1}, follow=True)

    assert "Customer “Acme Corp” saved." in response.content.decode()
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("Acme Corp", 2)


def test_a_service_that_refuses_the_actor_makes_a_403(admin_client, monkeypatch):
    def refuse(**kwargs):
        raise NotPermitted()

    monkeypatch.setattr(services, "customer_create", refuse)

    response = admin_client.post(reverse("customer_create"), {"code": "acme", "name": "Acme"})

    assert response.status_code == 403


def test_people_without_the_role_learn_nothing_about_which_records_exist(client, agent):
    client.force_login(agent)

    assert client.get(reverse("customer_update", args=[999])).status_code == 403
