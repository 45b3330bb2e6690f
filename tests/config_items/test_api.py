"""CMDB API under /api/v1/cmdb/: the kernel's conventions applied to CIs, types,
relationships, baselines, upsert, impact, import and export."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config_items import services
from config_items.models import Baseline, ConfigurationItem, Relationship
from tests.assertions import assert_nothing_written
from tests.config_items.factories import ci_type, cmdb_writer, link, make_ci, make_service
from tests.factories import CustomerFactory, TeamFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/cmdb"


@pytest.fixture
def writer():
    return cmdb_writer()


@pytest.fixture
def lead_api(api, writer):
    api.force_authenticate(writer)
    return api


def server_body(**extra):
    return {"name": "web-1", "ci_type": "server", "attributes": {"hostname": "web-1"}, **extra}


# --- CIs: create, read, update -----------------------------------------------------------------

def test_a_team_lead_creates_a_ci_and_a_retry_with_the_same_key_replays(lead_api):
    team, customer = TeamFactory(), CustomerFactory()
    body = server_body(owner_team=team.pk, customers=[customer.pk])

    first = lead_api.post(f"{BASE}/cis/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    replay = lead_api.post(f"{BASE}/cis/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == 201, first.json()
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    created = first.json()
    assert created["ci_type"] == {"id": ci_type("server").pk, "slug": "server", "name": "Server", "is_service": False}
    assert created["owner_team"] == {"id": team.pk, "name": team.name}
    assert created["customers"] == [{"id": customer.pk, "code": customer.code, "name": customer.name}]
    assert (created["status"], created["version"]) == ("planned", 1)
    assert ConfigurationItem.objects.count() == 1


def test_bad_attributes_are_field_errors_and_nothing_is_created(lead_api):
    with assert_nothing_written():
        response = lead_api.post(f"{BASE}/cis/", server_body(attributes={"cpu_count": "lots"}), format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"attributes.hostname", "attributes.cpu_count"}


@pytest.mark.parametrize("role", ["agent", "auditor"])
def test_agents_and_auditors_read_but_do_not_write(make_user, api, writer, role):
    make_ci(writer, name="visible")
    api.force_authenticate(make_user(role))

    assert [ci["name"] for ci in api.get(f"{BASE}/cis/").json()["results"]] == ["visible"]
    with assert_nothing_written():
        assert api.post(f"{BASE}/cis/", server_body(), format="json").status_code == 403


def test_requesters_cannot_read_the_cmdb(make_user, api, writer):
    ci = make_ci(writer)
    api.force_authenticate(make_user("requester"))

    assert api.get(f"{BASE}/cis/").status_code == 403
    assert api.get(f"{BASE}/cis/{ci.pk}/").status_code == 403


def test_updates_need_the_current_version(lead_api, writer):
    ci = make_ci(writer, description="old")
    url = f"{BASE}/cis/{ci.pk}/"
    etag = lead_api.get(url)["ETag"]

    missing = lead_api.patch(url, {"description": "x"}, format="json")
    saved = lead_api.patch(url, {"description": "new"}, format="json", HTTP_IF_MATCH=etag)
    stale = lead_api.patch(url, {"description": "newer"}, format="json", HTTP_IF_MATCH=etag)

    assert (missing.status_code, saved.status_code, stale.status_code) == (428, 200, 412)
    assert saved.json()["version"] == 2 and saved["ETag"] != etag
    assert ConfigurationItem.objects.get().description == "new"


def test_unknown_and_read_only_fields_are_refused(lead_api):
    response = lead_api.post(f"{BASE}/cis/", server_body(number="CI1", colour="red"), format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"number", "colour"}


def test_going_live_without_an_owner_is_a_guard_error(lead_api, writer):
    ci = make_ci(writer)

    response = lead_api.post(f"{BASE}/cis/{ci.pk}/transition/", {"transition": "go_live"}, format="json")

    assert response.status_code == 400
    assert "owner_team" in response.json()["error"]["fields"]


# --- CIs: filters, ordering, query count -------------------------------------------------------

def test_filters(lead_api, writer):
    acme = CustomerFactory(code="acme")
    shop = make_service(writer, name="Shop", customers=[acme])
    app = make_ci(writer, name="shop-app")
    make_ci(writer, type_slug="server", name="host", attributes={"hostname": "host"})
    link(shop, app, actor=writer)

    def names(query):
        response = lead_api.get(f"{BASE}/cis/?{query}")
        assert response.status_code == 200, response.json()
        return [ci["name"] for ci in response.json()["results"]]

    assert names("q=shop") == ["Shop", "shop-app"]
    assert names(f"q={app.number}") == ["shop-app"]
    assert names("ci_type=server") == ["host"]
    assert names("is_service=true") == ["Shop"]
    assert names(f"customer={acme.pk}") == ["Shop"]
    assert names(f"service={shop.pk}") == ["shop-app"]
    assert names("status=planned&ordering=-number") == ["host", "shop-app", "Shop"]


def test_an_unknown_filter_or_ordering_is_refused(lead_api):
    assert lead_api.get(f"{BASE}/cis/?colour=red").status_code == 400
    assert lead_api.get(f"{BASE}/cis/?ordering=attributes").status_code == 400


def test_the_list_costs_the_same_queries_for_one_row_and_a_hundred(lead_api, writer):
    team, customers = TeamFactory(), [CustomerFactory(), CustomerFactory()]
    make_service(writer, owner_team=team, customers=customers)
    lead_api.get(f"{BASE}/cis/")  # warm per-process caches (content types)
    with CaptureQueriesContext(connection) as one:
        assert len(lead_api.get(f"{BASE}/cis/").json()["results"]) == 1
    for _ in range(99):
        make_ci(writer, owner_team=TeamFactory(), customers=[CustomerFactory()])
    with CaptureQueriesContext(connection) as hundred:
        assert len(lead_api.get(f"{BASE}/cis/?page_size=100").json()["results"]) == 100

    assert len(hundred) == len(one)


def test_export_is_the_filtered_list_as_csv(lead_api, writer):
    make_ci(writer, name="=cmd", customers=[CustomerFactory(code="acme")])
    make_ci(writer, type_slug="server", name="host", attributes={"hostname": "h"})

    response = lead_api.get(f"{BASE}/cis/export/?ci_type=application")
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert lines[0].startswith("number,name,type,status")
    assert len(lines) == 2 and ",'=cmd,application,planned," in lines[1] and ",acme," in lines[1]


# --- upsert ------------------------------------------------------------------------------------

def test_upsert_creates_then_updates(lead_api):
    body = {"source": "vcenter", "external_id": "vm-7", **server_body()}

    created = lead_api.post(f"{BASE}/cis/upsert/", body, format="json")
    updated = lead_api.post(f"{BASE}/cis/upsert/", {**body, "description": "seen again"}, format="json")
    unchanged = lead_api.post(f"{BASE}/cis/upsert/", {**body, "description": "seen again"}, format="json")

    assert (created.status_code, updated.status_code, unchanged.status_code) == (201, 200, 200)
    assert created.json()["id"] == updated.json()["id"]
    assert (unchanged.json()["version"], unchanged.json()["description"]) == (2, "seen again")


def test_upsert_without_a_key_is_refused(lead_api):
    response = lead_api.post(f"{BASE}/cis/upsert/", server_body(), format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"source", "external_id"}


# --- impact ------------------------------------------------------------------------------------

def test_impact_of_a_ci(lead_api, writer):
    shop, app = make_service(writer, name="Shop"), make_ci(writer, name="app")
    db = make_ci(writer, type_slug="database", name="db")
    link(shop, app, actor=writer)
    link(app, db, actor=writer)

    upstream = lead_api.get(f"{BASE}/cis/{db.pk}/impact/?direction=upstream&depth=1").json()
    downstream = lead_api.get(f"{BASE}/cis/{shop.pk}/impact/?direction=downstream").json()

    assert [(n["name"], n["depth"], n["path"]) for n in upstream["nodes"]] == [
        ("db", 0, [db.pk]), ("app", 1, [db.pk, app.pk])]
    assert upstream["edges"] == [{"source": app.pk, "target": db.pk, "type": "depends-on",
                                  "type_label": "depends on"}]
    assert [n["name"] for n in downstream["nodes"]] == ["Shop", "app", "db"]
    assert downstream["truncated"] is False


@pytest.mark.parametrize("query", ["depth=0", "depth=11", "direction=sideways", "colour=red"])
def test_impact_parameters_are_validated(lead_api, writer, query):
    ci = make_ci(writer)

    response = lead_api.get(f"{BASE}/cis/{ci.pk}/impact/?{query}")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {query.split("=")[0]}


def test_impact_of_a_missing_ci_is_not_found(lead_api):
    assert lead_api.get(f"{BASE}/cis/999999/impact/").status_code == 404


# --- relationships -----------------------------------------------------------------------------

def test_relationships_are_created_listed_and_deleted(lead_api, writer):
    app, db = make_ci(writer, name="app"), make_ci(writer, type_slug="database", name="db")
    body = {"source": app.pk, "target": db.pk, "type": "depends-on"}

    created = lead_api.post(f"{BASE}/relationships/", body, format="json")
    duplicate = lead_api.post(f"{BASE}/relationships/", body, format="json")
    listed = lead_api.get(f"{BASE}/relationships/?ci={db.pk}").json()["results"]
    deleted = lead_api.delete(f"{BASE}/relationships/{created.json()['id']}/")

    assert created.status_code == 201, created.json()
    assert created.json()["type"]["reverse_label"] == "used by"
    assert duplicate.status_code == 400 and "target" in duplicate.json()["error"]["fields"]
    assert [(r["source"]["name"], r["target"]["name"]) for r in listed] == [("app", "db")]
    assert deleted.status_code == 204
    assert Relationship.objects.count() == 0


def test_a_self_link_is_a_field_error(lead_api, writer):
    app = make_ci(writer)

    response = lead_api.post(f"{BASE}/relationships/", {"source": app.pk, "target": app.pk, "type": "depends-on"},
                             format="json")

    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == {"target"}


def test_agents_cannot_delete_relationships(make_user, api, writer):
    relationship = link(make_ci(writer), make_ci(writer), actor=writer)
    api.force_authenticate(make_user("agent"))

    with assert_nothing_written():
        assert api.delete(f"{BASE}/relationships/{relationship.pk}/").status_code == 403


# --- baselines ---------------------------------------------------------------------------------

def test_baselines_are_taken_read_and_compared(lead_api, writer):
    shop, app = make_service(writer, name="Shop"), make_ci(writer, name="app")
    link(shop, app, actor=writer)

    first = lead_api.post(f"{BASE}/baselines/", {"root": shop.pk, "name": "v1", "reason": "release 1"}, format="json")
    services.ci_update(actor=writer, ci=app, data={"description": "patched"})
    second = lead_api.post(f"{BASE}/baselines/", {"root": shop.pk, "name": "v2", "reason": "release 2"}, format="json")
    first_id, second_id = first.json()["id"], second.json()["id"]

    detail = lead_api.get(f"{BASE}/baselines/{first_id}/").json()
    between = lead_api.get(f"{BASE}/baselines/{first_id}/diff/?against={second_id}").json()
    today = lead_api.get(f"{BASE}/baselines/{second_id}/diff/?against=today").json()

    assert first.status_code == 201 and first.json()["item_count"] == 2
    assert set(detail["snapshot"]["items"]) == {str(shop.pk), str(app.pk)}
    assert between["items"]["changed"] == [{"id": app.pk, "number": app.number, "name": "app",
                                            "fields": {"description": ["", "patched"]}}]
    assert today["items"] == {"added": [], "removed": [], "changed": []}


def test_baselines_cannot_be_changed_and_diff_needs_a_valid_against(lead_api, writer):
    baseline = services.baseline_create(actor=writer, root=make_ci(writer), name="b", reason="r")

    with assert_nothing_written():
        assert lead_api.patch(f"{BASE}/baselines/{baseline.pk}/", {"name": "x"}, format="json").status_code == 405
    assert lead_api.get(f"{BASE}/baselines/{baseline.pk}/diff/").status_code == 400
    assert lead_api.get(f"{BASE}/baselines/{baseline.pk}/diff/?against=yesterday").status_code == 400
    assert lead_api.get(f"{BASE}/baselines/{baseline.pk}/diff/?against=99999").status_code == 404
    assert Baseline.objects.get().name == "b"


# --- types -------------------------------------------------------------------------------------

def test_administrators_manage_ci_types(api, make_user, lead_api):
    api_admin = api.__class__()
    api_admin.force_authenticate(make_user("administrator"))
    body = {"name": "Printer", "slug": "printer", "attribute_schema": [{"name": "ppm", "kind": "integer"}]}

    created = api_admin.post(f"{BASE}/ci-types/", body, format="json")
    bad = api_admin.post(f"{BASE}/ci-types/", {**body, "slug": "p2", "name": "P2",
                                                "attribute_schema": [{"name": "x", "kind": "colour"}]}, format="json")
    by_lead = lead_api.post(f"{BASE}/ci-types/", {**body, "slug": "p3", "name": "P3"}, format="json")

    assert created.status_code == 201 and created.json()["attribute_schema"][0]["label"] == "ppm"
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"attribute_schema"}
    assert by_lead.status_code == 403


def test_relationship_types_update_without_a_version(api, make_user):
    api.force_authenticate(make_user("administrator"))
    depends_on = api.get(f"{BASE}/relationship-types/?slug=depends-on").json()["results"][0]

    response = api.patch(f"{BASE}/relationship-types/{depends_on['id']}/", {"reverse_label": "needed by"},
                         format="json")

    assert response.status_code == 200 and response.json()["reverse_label"] == "needed by"


# --- import ------------------------------------------------------------------------------------

def test_import_endpoint_returns_the_report(lead_api):
    upload = SimpleUploadedFile("cis.csv", b"name,type,attr:hostname\nweb-1,server,web-1\nbad,server,\n",
                                content_type="text/csv")

    response = lead_api.post(f"{BASE}/cis/import/", {"file": upload, "atomic": "true"}, format="multipart")

    assert response.status_code == 200, response.json()
    report = response.json()
    assert (report["created"], report["rejected"], report["written"]) == (1, 1, False)
    assert report["rows"][1] == {"line": 3, "action": "rejected", "number": "",
                                 "errors": ["attributes.hostname: Host name is required."]}
    assert ConfigurationItem.objects.count() == 0


def test_import_of_a_file_with_a_wrong_header_is_a_field_error(lead_api, writer):
    upload = SimpleUploadedFile("rels.csv", b"from,to\n1,2\n", content_type="text/csv")

    response = lead_api.post(f"{BASE}/relationships/import/", {"file": upload}, format="multipart")

    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == {"file"}
