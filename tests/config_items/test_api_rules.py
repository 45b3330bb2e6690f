"""Rules the CMDB pages enforced alone (by offering only some choices) until they moved into
config_items.services: the API, imports and discovery now meet them too."""

import pytest

from config_items import services
from config_items.models import CIType
from tests.assertions import assert_nothing_written
from tests.config_items.factories import cmdb_writer, make_ci
from tests.factories import CustomerFactory, TeamFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/cmdb"


@pytest.fixture
def lead_api(api):
    api.force_authenticate(cmdb_writer())
    return api


def server_body(**extra):
    return {"name": "web-1", "ci_type": "server", "attributes": {"hostname": "web-1"}, **extra}


def test_the_api_refuses_a_team_or_customer_no_longer_in_use_on_a_new_ci(lead_api):
    team = TeamFactory(name="Old ops", is_active=False)
    customer = CustomerFactory(name="Old Corp", is_active=False)

    with assert_nothing_written():
        response = lead_api.post(f"{BASE}/cis/", server_body(owner_team=team.pk, customers=[customer.pk]),
                                 format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"owner_team": ["Old ops is no longer in use."],
                                                  "customers": ["Old Corp is no longer in use."]}


def test_a_ci_keeps_a_team_and_customer_retired_since_but_none_is_newly_given(lead_api):
    team, customer, other = TeamFactory(name="Ops"), CustomerFactory(name="Acme"), CustomerFactory(name="Gone")
    ci = make_ci(owner_team=team, customers=[customer])
    team.is_active = customer.is_active = other.is_active = False
    team.save()
    customer.save()
    other.save()
    url = f"{BASE}/cis/{ci.pk}/"

    kept = lead_api.patch(url, {"description": "still here", "owner_team": team.pk, "customers": [customer.pk],
                                "version": 1}, format="json")
    added = lead_api.patch(url, {"customers": [customer.pk, other.pk], "version": 2}, format="json")

    assert kept.status_code == 200, kept.json()
    assert added.status_code == 400
    assert added.json()["error"]["fields"] == {"customers": ["Gone is no longer in use."]}
    assert list(ci.customers.all()) == [customer]


def test_an_import_row_naming_a_team_no_longer_in_use_is_rejected():
    team = TeamFactory(name="Old ops", is_active=False)

    results = services.ci_create_many(actor=cmdb_writer(), items=[
        {"name": "web-2", "ci_type": CIType.objects.get(slug="server"), "attributes": {"hostname": "w"},
         "owner_team": team}])

    assert [r.message_dict for r in results] == [{"owner_team": ["Old ops is no longer in use."]}]
