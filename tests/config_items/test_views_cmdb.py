"""The CMDB pages through Django's test client: who sees what, forms, actions, reports."""

import csv
import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config_items import services
from config_items.choices import CatalogueStatus, CIStatus
from config_items.models import Baseline, CIType, ConfigurationItem, Relationship, RelationshipType
from itsm.choices import Role
from tests.assertions import assert_nothing_written
from tests.factories import CustomerFactory, TeamFactory

pytestmark = pytest.mark.django_db
IMPACT_DATA = r'<script id="impact-data" type="application/json">(.*?)</script>'


@pytest.fixture
def writer(team_lead):
    return team_lead


@pytest.fixture
def team(team_lead):
    return TeamFactory(name="Infrastructure", members=[team_lead])


def make_ci(actor, name="db-01", type_slug="server", **data):
    ci_type = CIType.objects.get(slug=type_slug)
    attributes = data.pop("attributes", {"hostname": name} if type_slug == "server" else {})
    if type_slug == "business-service":
        attributes = {"criticality": "high", **attributes}
    return services.ci_create(actor=actor, data={"name": name, "ci_type": ci_type, "attributes": attributes, **data})


def link(actor, source, target, slug="runs-on"):
    return services.relationship_create(actor=actor, source=source, target=target,
                                        type=RelationshipType.objects.get(slug=slug))


def page(client, user, url):
    client.force_login(user)
    return client.get(url)


# --- access -------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.AGENT, Role.AUDITOR, Role.TEAM_LEAD, Role.ADMINISTRATOR])
def test_staff_read_every_cmdb_page(client, make_user, writer, role):
    user = make_user(role)
    ci = make_ci(writer)
    baseline = services.baseline_create(actor=writer, root=ci, name="before", reason="test")
    client.force_login(user)
    for url in [reverse("ci_list"), reverse("ci_detail", args=[ci.pk]), reverse("service_catalogue"),
                reverse("data_quality"), reverse("ci_type_list"), reverse("relationship_type_list"),
                reverse("baseline_detail", args=[baseline.pk]), reverse("baseline_compare", args=[baseline.pk]),
                reverse("ci_type_detail", args=[ci.ci_type.pk])]:
        assert client.get(url).status_code == 200, url


def test_requesters_see_no_cmdb(client, requester, writer):
    ci = make_ci(writer)
    assert page(client, requester, reverse("ci_list")).status_code == 403
    assert page(client, requester, reverse("ci_detail", args=[ci.pk])).status_code == 403


def test_an_auditor_sees_a_ci_without_buttons_and_is_refused_every_change(client, auditor, writer):
    ci = make_ci(writer)
    response = page(client, auditor, reverse("ci_detail", args=[ci.pk]))
    content = response.content.decode()
    assert ci.name in content
    assert reverse("ci_update", args=[ci.pk]) not in content
    assert reverse("ci_transition", args=[ci.pk]) not in content
    assert 'id="relationship-form"' not in content
    for url in [reverse("ci_transition", args=[ci.pk]), reverse("relationship_create", args=[ci.pk]),
                reverse("baseline_create", args=[ci.pk]), reverse("ci_update", args=[ci.pk]),
                reverse("ci_create"), reverse("ci_import")]:
        assert client.post(url, {"transition": "build"}).status_code == 403, url
    ci.refresh_from_db()
    assert ci.status == CIStatus.PLANNED


def test_agents_read_but_do_not_get_the_forms(client, agent, writer):
    ci = make_ci(writer)
    content = page(client, agent, reverse("ci_detail", args=[ci.pk])).content.decode()
    assert "Start build" not in content
    assert client.get(reverse("ci_create")).status_code == 403


def test_the_menu_offers_configuration_and_the_catalogue_after_the_service_desk(client, agent):
    content = page(client, agent, reverse("home")).content.decode()
    nav = content[content.index('aria-label="Main menu"'):content.index("</nav>")]
    titles = re.findall(r'nav-link-title">([^<]+)<', nav)
    configuration = nav[nav.index('data-menu-group="configuration"'):]
    configuration = configuration[:configuration.index("</li>")]
    # The service desk's daily work (incidents) comes first, then the CMDB, then the kernel's pages.
    assert titles == ["Home", "Service desk", "Changes &amp; releases", "Configuration", "SLA dashboard", "Settings"]
    assert [link.strip() for link in re.findall(r"</svg>([^<]+)</a>", configuration)] == [
        "Configuration items", "Service catalogue"]


# --- list ---------------------------------------------------------------------------------------

def test_the_list_filters_by_type_status_and_text(client, agent, writer, team):
    make_ci(writer, "db-01", owner_team=team)
    make_ci(writer, "web-01", owner_team=team)
    make_ci(writer, "payroll", type_slug="business-service")
    client.force_login(agent)

    def names(response):
        return re.findall(r'<td><a href="/cmdb/\d+/">([^<]+)</a></td>', response.content.decode())

    assert names(client.get(reverse("ci_list"), {"ci_type": "server"})) == ["db-01", "web-01"]
    assert names(client.get(reverse("ci_list"), {"q": "web"})) == ["web-01"]
    assert names(client.get(reverse("ci_list"), {"status": "live"})) == []
    assert names(client.get(reverse("ci_list"), {"sort": "-name"})) == ["web-01", "payroll", "db-01"]
    htmx = client.get(reverse("ci_list"), {"q": "pay"}, HTTP_HX_REQUEST="true")
    assert names(htmx) == ["payroll"] and "<html" not in htmx.content.decode()


def test_the_list_runs_the_same_number_of_queries_for_1_and_30_rows(client, agent, writer, team):
    customer = CustomerFactory()
    make_ci(writer, "ci-0", owner_team=team, customers=[customer])
    client.force_login(agent)
    client.get(reverse("ci_list"))  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("ci_list")).status_code == 200
    for n in range(1, 30):
        make_ci(writer, f"ci-{n}", owner_team=team, customers=[customer])
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(reverse("ci_list"))
    assert response.content.decode().count('href="/cmdb/') >= 30
    assert len(thirty) == len(one)


def test_the_csv_export_has_every_row_of_the_filter_with_attributes_as_json(client, agent, writer):
    make_ci(writer, "db-01", attributes={"hostname": "db-01", "cpu_count": 8})
    make_ci(writer, "Payroll", type_slug="business-service")
    response = page(client, agent, reverse("ci_list") + "?ci_type=server&export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header = rows[0]
    assert len(rows) == 2
    row = dict(zip(header, rows[1], strict=True))
    assert row["Name"] == "db-01" and row["Type"] == "Server" and row["Status"] == "Planned"
    assert json.loads(row["Attributes"]) == {"cpu_count": 8, "hostname": "db-01"}


# --- forms --------------------------------------------------------------------------------------

def test_a_team_lead_creates_a_server_with_attributes(client, writer, team):
    server = CIType.objects.get(slug="server")
    client.force_login(writer)
    form = client.get(reverse("ci_create"), {"ci_type": server.pk}).content.decode()
    assert 'name="attr_hostname"' in form and 'name="attr_cpu_count"' in form
    assert 'name="service_owner"' not in form  # catalogue fields only for services

    response = client.post(reverse("ci_create"), {
        "name": "db-01", "ci_type": server.pk, "environment": "production", "owner_team": team.pk,
        "attr_hostname": "db01.example.com", "attr_cpu_count": "8", "attr_ip_address": "10.0.0.5",
    })
    ci = ConfigurationItem.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("ci_detail", args=[ci.pk])
    assert ci.attributes == {"hostname": "db01.example.com", "cpu_count": 8, "ip_address": "10.0.0.5"}
    assert ci.owner_team == team


def test_attribute_errors_show_on_their_fields_and_keep_the_input(client, writer):
    server = CIType.objects.get(slug="server")
    client.force_login(writer)
    with assert_nothing_written():
        response = client.post(reverse("ci_create"), {
            "name": "db-01", "ci_type": server.pk, "environment": "production",
            "attr_cpu_count": "eight", "attr_ip_address": "10.0.0.300",
        })
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_attr_hostname_error"' in content  # required
    assert 'id="id_attr_cpu_count_error"' in content and 'value="eight"' in content
    assert 'id="id_attr_ip_address_error"' in content and 'value="10.0.0.300"' in content
    assert 'value="db-01"' in content


def test_service_errors_keyed_by_attribute_land_on_the_generated_field(client, writer):
    # The form accepts any text; the service refuses a value the schema changed to refuse.
    server = CIType.objects.get(slug="server")
    client.force_login(writer)
    ci = make_ci(writer)
    server.attribute_schema = [*server.attribute_schema, {"name": "rack", "label": "Rack", "kind": "choice",
                                                          "required": False, "choices": ["a1", "a2"]}]
    server.save()
    from config_items.forms import CIForm

    form = CIForm({"name": "x", "ci_type": server.pk, "environment": "production", "attr_hostname": "h",
                   "version": ci.version}, instance=ci, user=writer)
    assert form.is_valid(), form.errors
    from django.core.exceptions import ValidationError

    from itsm.forms import add_error_to_form

    add_error_to_form(form, ValidationError({"attributes.rack": "Rack: choose one of a1, a2"}))
    assert form.errors["attr_rack"] == ["Rack: choose one of a1, a2"]


def test_changing_the_type_renders_its_attribute_fields(client, writer):
    database = CIType.objects.get(slug="database")
    service = CIType.objects.get(slug="business-service")
    client.force_login(writer)
    fragment = client.get(reverse("ci_type_fields"), {"ci_type": database.pk, "attr_version": "16"},
                          HTTP_HX_REQUEST="true").content.decode()
    assert 'name="attr_engine"' in fragment and 'value="16"' in fragment and "hostname" not in fragment
    fragment = client.get(reverse("ci_type_fields"), {"ci_type": service.pk}).content.decode()
    assert 'name="attr_criticality"' in fragment and 'name="hours_of_service"' in fragment


def test_editing_with_an_old_version_is_refused_with_the_input_kept(client, writer):
    ci = make_ci(writer)
    old_version = ci.version
    services.ci_update(actor=writer, ci=ci, data={"description": "changed meanwhile"})
    client.force_login(writer)
    response = client.post(reverse("ci_update", args=[ci.pk]), {
        "name": "db-renamed", "ci_type": ci.ci_type.pk, "environment": "production", "attr_hostname": "db-01",
        "version": old_version,
    })
    content = response.content.decode()
    assert response.status_code == 200 and "changed by someone else" in content and 'value="db-renamed"' in content
    ci.refresh_from_db()
    assert ci.name == "db-01"


def test_a_service_gets_catalogue_fields(client, writer, team):
    service = CIType.objects.get(slug="business-service")
    client.force_login(writer)
    response = client.post(reverse("ci_create"), {
        "name": "Payroll", "ci_type": service.pk, "environment": "production", "owner_team": team.pk,
        "attr_criticality": "high", "service_owner": writer.pk, "hours_of_service": "24x7",
        "catalogue_status": "live",
    })
    assert response.status_code == 302
    ci = ConfigurationItem.objects.get()
    assert (ci.service_owner, ci.hours_of_service, ci.catalogue_status) == (writer, "24x7", "live")


# --- lifecycle ----------------------------------------------------------------------------------

def test_lifecycle_buttons_move_the_ci_and_refusals_are_explained(client, writer, team):
    ci = make_ci(writer)
    client.force_login(writer)
    content = client.get(reverse("ci_detail", args=[ci.pk])).content.decode()
    assert "Start build" in content and "Go live" in content and "End maintenance" not in content

    response = client.post(reverse("ci_transition", args=[ci.pk]), {"transition": "go_live"}, follow=True)
    assert "Set an owner team before the CI goes live." in response.content.decode()
    ci.refresh_from_db()
    assert ci.status == CIStatus.PLANNED

    response = client.post(reverse("ci_transition", args=[ci.pk]), {"transition": "maintain"}, follow=True)
    assert "cannot be moved" in response.content.decode()

    services.ci_update(actor=writer, ci=ci, data={"owner_team": team})
    response = client.post(reverse("ci_transition", args=[ci.pk]), {"transition": "go_live"}, follow=True)
    ci.refresh_from_db()
    assert ci.status == CIStatus.LIVE and "is now Live" in response.content.decode()


# --- relationships, impact, history -------------------------------------------------------------

def test_relationships_are_added_and_removed_from_either_end(client, writer):
    vm = make_ci(writer, "vm-01")
    host = make_ci(writer, "host-01")
    runs_on = RelationshipType.objects.get(slug="runs-on")
    client.force_login(writer)
    client.post(reverse("relationship_create", args=[vm.pk]),
                {"direction": "outgoing", "type": runs_on.pk, "other": host.pk})
    relationship = Relationship.objects.get()
    assert (relationship.source, relationship.target) == (vm, host)

    host_page = client.get(reverse("ci_detail", args=[host.pk])).content.decode()
    assert "hosts" in host_page and "vm-01" in host_page
    vm_page = client.get(reverse("ci_detail", args=[vm.pk])).content.decode()
    assert "runs on" in vm_page and "host-01" in vm_page

    response = client.post(reverse("relationship_create", args=[vm.pk]),
                           {"direction": "incoming", "type": runs_on.pk, "other": vm.pk}, follow=True)
    assert Relationship.objects.count() == 1 and "alert" in response.content.decode()

    response = client.post(reverse("relationship_delete", args=[relationship.pk]), {"ci": host.pk})
    assert response["Location"] == reverse("ci_detail", args=[host.pk]) + "#relationships"
    assert not Relationship.objects.exists()


def test_the_search_answers_cis_for_the_autocomplete(client, agent, writer):
    make_ci(writer, "db-01")
    make_ci(writer, "web-01")
    data = page(client, agent, reverse("ci_search") + "?q=web").json()
    web = ConfigurationItem.objects.get(name="web-01")
    assert [row["text"] for row in data["results"]] == [f"{web.number} web-01 (Server)"]


def select_of(page: str, name: str) -> str:
    select = page[page.index(f'<select name="{name}"'):]
    return select[:select.index("</select>")]


def test_the_list_s_service_filter_holds_only_the_chosen_service_and_searches_the_others(client, agent, writer):
    mail = make_ci(writer, "Mail", type_slug="business-service")
    payroll = make_ci(writer, "Payroll", type_slug="business-service")

    unfiltered = page(client, agent, reverse("ci_list")).content.decode()
    filtered = page(client, agent, reverse("ci_list") + f"?service={mail.pk}").content.decode()

    assert select_of(unfiltered, "service").count("<option") == 1  # "Any"
    assert f'data-search-url="{reverse("ci_search")}?service=1"' in select_of(unfiltered, "service")
    assert f'value="{mail.pk}" selected' in select_of(filtered, "service")
    assert f'value="{payroll.pk}"' not in select_of(filtered, "service")


def test_the_search_answers_services_or_live_services_when_asked_at_most_20(client, agent, writer):
    live = make_ci(writer, "Mail", type_slug="business-service", catalogue_status=CatalogueStatus.LIVE)
    planned = make_ci(writer, "Mail archive", type_slug="business-service")
    make_ci(writer, "mail-01")
    for n in range(25):
        make_ci(writer, f"web-{n:02}")
    client.force_login(agent)

    def values(**query):
        return [row["value"] for row in client.get(reverse("ci_search"), query).json()["results"]]

    assert values(q="mail", service="1") == [live.pk, planned.pk]
    assert values(q="mail", service="live") == [live.pk]
    assert len(values(q="web")) == 20  # SEARCH_RESULTS a query: Tom Select asks again as one types


def test_the_search_refuses_requesters_and_asks_anonymous_callers_to_sign_in(client, requester):
    anonymous = client.get(reverse("ci_search"), {"q": "a"})
    refused = page(client, requester, reverse("ci_search") + "?q=a")

    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert refused.status_code == 403


def test_a_service_s_form_holds_only_its_owner_and_searches_other_people(client, writer, agent):
    payroll = make_ci(writer, "Payroll", type_slug="business-service", service_owner=writer)

    form = page(client, writer, reverse("ci_update", args=[payroll.pk])).content.decode()

    assert f'<option value="{writer.pk}" selected>' in select_of(form, "service_owner")
    assert f'value="{agent.pk}"' not in select_of(form, "service_owner")
    assert f'data-search-url="{reverse("people_search")}"' in select_of(form, "service_owner")


def test_the_ci_page_embeds_the_impact_graph_and_its_table(client, agent, writer):
    host = make_ci(writer, "host-01")
    vm = make_ci(writer, "vm-01")
    app = make_ci(writer, "app-01", type_slug="application")
    link(writer, vm, host)
    link(writer, app, vm, "depends-on")
    client.force_login(agent)
    content = client.get(reverse("ci_detail", args=[host.pk]), {"depth": 5}).content.decode()
    data = json.loads(re.search(IMPACT_DATA, content, re.DOTALL)[1])
    assert data["start"] == host.pk and data["direction"] == "upstream" and not data["truncated"]
    assert {node["name"]: node["depth"] for node in data["nodes"]} == {"host-01": 0, "vm-01": 1, "app-01": 2}
    assert {(edge["source"], edge["target"]) for edge in data["edges"]} == {(vm.pk, host.pk), (app.pk, vm.pk)}
    table = content[content.index('id="impact-table"'):]
    assert f"{host.number} → {vm.number} → {app.number}" in table

    down = client.get(reverse("ci_detail", args=[app.pk]), {"direction": "downstream", "depth": 1}).content.decode()
    data = json.loads(re.search(IMPACT_DATA, down, re.DOTALL)[1])
    assert {node["name"] for node in data["nodes"]} == {"app-01", "vm-01"}


def test_the_history_names_who_changed_which_field(client, agent, writer):
    ci = make_ci(writer)
    services.ci_update(actor=writer, ci=ci, data={"description": "primary database"})
    content = page(client, agent, reverse("ci_detail", args=[ci.pk])).content.decode()
    history = content[content.index('id="history"'):]
    assert "Description" in history and "primary database" in history and str(writer) in history


# --- baselines ----------------------------------------------------------------------------------

def test_a_baseline_is_taken_and_compared_with_today_and_with_another(client, writer):
    service = make_ci(writer, "Payroll", type_slug="business-service")
    db = make_ci(writer, "db-01")
    link(writer, service, db, "depends-on")
    client.force_login(writer)
    response = client.post(reverse("baseline_create", args=[service.pk]), {"name": "Release 1", "reason": "audit"})
    first = Baseline.objects.get()
    assert response["Location"] == reverse("baseline_detail", args=[first.pk])
    assert "db-01" in client.get(reverse("baseline_detail", args=[first.pk])).content.decode()

    services.ci_update(actor=writer, ci=db, data={"description": "bigger disks"})
    web = make_ci(writer, "web-01")
    link(writer, service, web, "depends-on")
    compare = client.get(reverse("baseline_compare", args=[first.pk])).content.decode()
    assert "web-01" in compare[compare.index('id="items-added"'):compare.index('id="items-removed"')]
    assert "bigger disks" in compare[compare.index('id="items-changed"'):]
    assert web.number in compare[compare.index('id="relationships-added"'):]

    second = services.baseline_create(actor=writer, root=service, name="Release 2", reason="after")
    compare = client.get(reverse("baseline_compare", args=[first.pk]), {"with": second.pk}).content.decode()
    assert "web-01" in compare[compare.index('id="items-added"'):compare.index('id="items-removed"')]
    same = client.get(reverse("baseline_compare", args=[second.pk])).content.decode()
    assert "Nothing changed." in same


# --- catalogue and data quality -----------------------------------------------------------------

def test_the_catalogue_lists_live_services_per_customer(client, agent, writer, team):
    acme, globex = CustomerFactory(name="Acme"), CustomerFactory(name="Globex")
    payroll = make_ci(writer, "Payroll", type_slug="business-service", owner_team=team, customers=[acme, globex],
                      hours_of_service="Mon-Fri 8-18", catalogue_status=CatalogueStatus.LIVE, service_owner=writer)
    make_ci(writer, "Planned thing", type_slug="business-service", catalogue_status=CatalogueStatus.PIPELINE,
            customers=[acme])
    link(writer, payroll, make_ci(writer, "db-01"), "depends-on")
    client.force_login(agent)
    content = client.get(reverse("service_catalogue")).content.decode()
    assert content.count(">Payroll</a>") == 2 and "Planned thing" not in content and "Mon-Fri 8-18" in content
    only_globex = client.get(reverse("service_catalogue"), {"customer": globex.pk}).content.decode()
    assert only_globex.count(">Payroll</a>") == 1 and "Acme</h2>" not in only_globex


def test_the_data_quality_report_counts_each_problem(client, agent, writer):
    first, second = make_ci(writer, "dup"), make_ci(writer, "dup")
    content = page(client, agent, reverse("data_quality") + "?stale_days=30").content.decode()
    duplicates = content[content.index('id="duplicate_names"'):]
    assert first.number in duplicates and second.number in duplicates
    assert re.search(r'data-testid="count-no_owner">2<', content)
    assert re.search(r'data-testid="count-duplicate_names">1<', content)
    assert re.search(r'data-testid="count-stale">0<', content)


# --- import -------------------------------------------------------------------------------------

def test_an_import_is_dry_run_first_then_applied(client, writer, team):
    client.force_login(writer)
    text = ("name,type,owner_team,attr:hostname,attr:cpu_count\n"
            "web-01,server,Infrastructure,web01,4\nbad,server,,,four\n")
    response = client.post(reverse("ci_import"), {
        "kind": "cis", "file": SimpleUploadedFile("cis.csv", text.encode()), "atomic": "on", "dry_run": "",
    })
    content = response.content.decode()
    assert not ConfigurationItem.objects.exists()
    assert "Dry run result" in content and "import-row-created" in content and "import-row-rejected" in content

    response = client.post(reverse("ci_import"), {"kind": "cis", "content": text, "atomic": "on", "apply": ""})
    assert "Nothing was imported" in response.content.decode() and not ConfigurationItem.objects.exists()

    client.post(reverse("ci_import"), {"kind": "cis", "content": text, "apply": ""})
    assert list(ConfigurationItem.objects.values_list("name", flat=True)) == ["web-01"]


def test_relationships_import_and_a_bad_header_is_explained(client, writer):
    a, b = make_ci(writer, "a"), make_ci(writer, "b")
    client.force_login(writer)
    client.post(reverse("ci_import"), {"kind": "relationships", "apply": "",
                                       "content": f"source,type,target\n{a.number},runs-on,{b.number}\n"})
    assert Relationship.objects.filter(source=a, target=b).exists()
    response = client.post(reverse("ci_import"), {"kind": "cis", "dry_run": "",
                                                  "file": SimpleUploadedFile("x.csv", b"nom,genre\nx,y\n")})
    assert "Line 1 (header)" in response.content.decode()


# --- types --------------------------------------------------------------------------------------

def test_an_administrator_defines_a_ci_type_and_bad_json_is_explained(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("ci_type_create"), {"name": "Printer", "slug": "printer",
                                                       "attribute_schema": '[{"name": "ppm", "kind": "integer",'})
    assert "not valid JSON" in response.content.decode()
    response = client.post(reverse("ci_type_create"), {"name": "Printer", "slug": "printer", "is_active": "on",
                                                       "attribute_schema": '[{"name": "PPM", "kind": "integer"}]'})
    assert "lower-case letters" in response.content.decode()
    response = client.post(reverse("ci_type_create"), {
        "name": "Printer", "slug": "printer", "is_active": "on",
        "attribute_schema": '[{"name": "ppm", "label": "Pages per minute", "kind": "integer"}]'})
    printer = CIType.objects.get(slug="printer")
    assert response["Location"] == reverse("ci_type_detail", args=[printer.pk])
    assert printer.attribute_schema[0]["label"] == "Pages per minute"


def test_team_leads_read_types_but_only_administrators_change_them(client, writer, admin_user):
    client.force_login(writer)
    assert client.get(reverse("ci_type_create")).status_code == 403
    assert "New CI type" not in client.get(reverse("ci_type_list")).content.decode()
    client.force_login(admin_user)
    response = client.post(reverse("relationship_type_create"), {
        "slug": "backs-up", "forward_label": "backs up", "reverse_label": "backed up by", "is_active": "on"})
    assert response.status_code == 302 and RelationshipType.objects.filter(slug="backs-up").exists()
    rt = RelationshipType.objects.get(slug="backs-up")
    client.post(reverse("relationship_type_update", args=[rt.pk]), {
        "slug": "backs-up", "forward_label": "backs up", "reverse_label": "is backed up by"})
    rt.refresh_from_db()
    assert (rt.reverse_label, rt.is_active) == ("is backed up by", False)


def test_people_outside_the_writers_get_403_on_the_import_page(client, agent):
    assert page(client, agent, reverse("ci_import")).status_code == 403


def test_the_history_shows_related_records_and_choices_by_name(client, agent, writer, team):
    ci = make_ci(writer)
    services.ci_update(actor=writer, ci=ci, data={"owner_team": team, "environment": "staging"})
    content = page(client, agent, reverse("ci_detail", args=[ci.pk])).content.decode()
    history = content[content.index('id="history"'):]
    assert "Infrastructure" in history and "Staging" in history


def test_the_ci_page_runs_the_same_number_of_queries_for_1_and_20_neighbours(client, agent, writer):
    host = make_ci(writer, "host-01")
    link(writer, make_ci(writer, "vm-0"), host)
    client.force_login(agent)
    client.get(reverse("ci_detail", args=[host.pk]))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("ci_detail", args=[host.pk]))
    for n in range(1, 20):
        link(writer, make_ci(writer, f"vm-{n}"), host)
    services.ci_update(actor=writer, ci=host, data={"description": "busy"})
    with CaptureQueriesContext(connection) as twenty:
        content = client.get(reverse("ci_detail", args=[host.pk])).content.decode()
    assert content.count("vm-19") >= 2  # in the relationships and in the impact table
    assert len(twenty) == len(one)


ACTIVE_ITEM = r'<a class="dropdown-item active" href="([^"]+)" aria-current="page"'


def test_only_the_most_specific_menu_item_is_current(client, agent):
    content = page(client, agent, reverse("service_catalogue")).content.decode()
    current = re.findall(ACTIVE_ITEM, content)
    assert current == [reverse("service_catalogue")]
    content = client.get(reverse("ci_list")).content.decode()
    assert re.findall(ACTIVE_ITEM, content) == [reverse("ci_list")]


def test_the_search_leaves_out_the_ci_being_linked(client, writer):
    db = make_ci(writer, "db-01")
    make_ci(writer, "db-02")
    content = page(client, writer, reverse("ci_detail", args=[db.pk])).content.decode()
    url = re.search(r'data-search-url="([^"]+)"', content)[1].replace("&amp;", "&")
    data = client.get(url + "&q=db").json()
    assert [row["text"].split(" ")[1] for row in data["results"]] == ["db-02"]


def test_every_attribute_kind_gets_its_form_field_and_a_json_value(writer):
    from django import forms

    from config_items.forms import CIForm

    kinds = CIType.objects.create(name="Kinds", slug="kinds", attribute_schema=[
        {"name": "t", "label": "T", "kind": "text", "required": True},
        {"name": "i", "label": "I", "kind": "integer", "required": False},
        {"name": "d", "label": "D", "kind": "decimal", "required": False},
        {"name": "b", "label": "B", "kind": "boolean", "required": False},
        {"name": "day", "label": "Day", "kind": "date", "required": False},
        {"name": "c", "label": "C", "kind": "choice", "required": False, "choices": ["x", "y"]},
        {"name": "ip", "label": "IP", "kind": "ip", "required": False},
        {"name": "u", "label": "U", "kind": "url", "required": False},
    ])
    form = CIForm({"name": "k", "ci_type": kinds.pk, "environment": "production", "attr_t": "a", "attr_i": "3",
                   "attr_d": "1.50", "attr_b": "on", "attr_day": "2026-01-31", "attr_c": "y", "attr_ip": "::1",
                   "attr_u": "https://example.com"}, instance=ConfigurationItem(), user=writer)
    types = {name: type(field) for name, field in form.fields.items() if name.startswith("attr_")}
    assert types == {"attr_t": forms.CharField, "attr_i": forms.IntegerField, "attr_d": forms.DecimalField,
                     "attr_b": forms.BooleanField, "attr_day": forms.DateField, "attr_c": forms.ChoiceField,
                     "attr_ip": forms.GenericIPAddressField, "attr_u": forms.URLField}
    assert form.fields["attr_t"].required and not form.fields["attr_i"].required
    assert form.is_valid(), form.errors
    assert form.service_data()["attributes"] == {"t": "a", "i": 3, "d": "1.50", "b": True, "day": "2026-01-31",
                                                 "c": "y", "ip": "::1", "u": "https://example.com"}
    ci = services.ci_create(actor=writer, data=form.service_data())
    assert ci.attributes["d"] == "1.50" and ci.attributes["b"] is True
