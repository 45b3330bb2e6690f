"""CMDB services: validation, permissions, history, events, lifecycle, relationships, types."""

import pytest
from django.core.exceptions import ValidationError

from config_items import services
from config_items.choices import CIStatus
from config_items.models import CIType, ConfigurationItem, Relationship, RelationshipType
from itsm.exceptions import GuardFailed, NotPermitted
from itsm.journal import journal_for
from itsm.models import DomainEvent
from itsm.records import StaleRecord
from itsm.workflow import transition_apply
from tests.assertions import assert_nothing_written
from tests.config_items.factories import ci_type, cmdb_writer, link, make_ci, make_service, relationship_type
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer():
    return cmdb_writer()


def server_data(**extra):
    return {"name": "db-host-1", "ci_type": ci_type("server"), "attributes": {"hostname": "db-host-1"}, **extra}


# --- creating and attributes -------------------------------------------------------------------

def test_a_created_ci_is_planned_numbered_with_history_and_an_event(writer):
    team, customer = TeamFactory(), CustomerFactory()

    ci = services.ci_create(actor=writer, data=server_data(
        owner_team=team, customers=[customer], attributes={"hostname": "db-host-1", "cpu_count": "8"}))

    assert ci.number.startswith("CI") and ci.status == CIStatus.PLANNED
    assert ci.attributes == {"hostname": "db-host-1", "cpu_count": 8}
    assert list(ci.customers.all()) == [customer]
    [history] = ci.history.all()  # one row, holding the customers too
    assert (history.history_type, history.history_user, history.history_change_reason) == ("+", writer, "created")
    assert [c.customer_id for c in history.customers.all()] == [customer.pk]
    assert DomainEvent.objects.filter(name="configurationitem.created", object_id=ci.pk).count() == 1


@pytest.mark.parametrize(("attributes", "errors"), [
    ({}, {"attributes.hostname"}),  # required
    ({"hostname": "h", "cpu_count": "many"}, {"attributes.cpu_count"}),  # kind
    ({"hostname": "h", "ip_address": "999.1.1.1"}, {"attributes.ip_address"}),
    ({"hostname": "h", "colour": "red"}, {"attributes.colour"}),  # unknown name
])
def test_attributes_are_validated_against_the_type_and_nothing_is_written(writer, attributes, errors):
    data = server_data(attributes=attributes)

    with assert_nothing_written(), pytest.raises(ValidationError) as refused:
        services.ci_create(actor=writer, data=data)

    assert set(refused.value.message_dict) == errors


def test_catalogue_fields_are_only_for_service_types(writer):
    data = server_data(hours_of_service="24x7", catalogue_status="live")

    with assert_nothing_written(), pytest.raises(ValidationError) as refused:
        services.ci_create(actor=writer, data=data)

    assert set(refused.value.message_dict) == {"hours_of_service", "catalogue_status"}


def test_unknown_fields_and_a_missing_type_are_field_errors(writer):
    data = {**server_data(), "colour": "red"}

    with assert_nothing_written():
        with pytest.raises(ValidationError) as unknown:
            services.ci_create(actor=writer, data=data)
        with pytest.raises(ValidationError) as no_type:
            services.ci_create(actor=writer, data={"name": "x"})

    assert set(unknown.value.message_dict) == {"colour"}
    assert set(no_type.value.message_dict) == {"ci_type"}


@pytest.mark.parametrize("role", ["agent", "auditor", "requester"])
def test_only_team_leads_and_administrators_change_the_cmdb(role):
    actor, data = UserFactory(roles=[role]), server_data()

    with assert_nothing_written(), pytest.raises(NotPermitted):
        services.ci_create(actor=actor, data=data)


def test_an_auditor_who_is_also_team_lead_still_cannot_write():
    actor, data = UserFactory(roles=["team_lead", "auditor"]), server_data()

    with assert_nothing_written(), pytest.raises(NotPermitted):
        services.ci_create(actor=actor, data=data)


# --- updating ----------------------------------------------------------------------------------

def test_an_update_writes_only_what_changed_and_nothing_when_nothing_changed(writer):
    ci = services.ci_create(actor=writer, data=server_data(description="old"))

    same = services.ci_update(actor=writer, ci=ci, data={"description": "old", "name": "db-host-1"})
    changed = services.ci_update(actor=writer, ci=ci, data={"description": "new"}, expected_version=1)

    assert same.version == 1
    assert changed.version == 2 and changed.description == "new"
    assert ci.history.count() == 2
    event = DomainEvent.objects.get(name="configurationitem.updated")
    assert event.payload == {"fields": ["description"]}


def test_a_stale_update_is_refused(writer):
    ci = services.ci_create(actor=writer, data=server_data())
    services.ci_update(actor=writer, ci=ci, data={"description": "first"}, expected_version=1)

    with assert_nothing_written(), pytest.raises(StaleRecord):
        services.ci_update(actor=writer, ci=ci, data={"description": "second"}, expected_version=1)

    assert ConfigurationItem.objects.get().description == "first"


def test_changing_the_type_revalidates_the_attributes(writer):
    ci = services.ci_create(actor=writer, data=server_data(attributes={"hostname": "h", "cpu_count": 4}))

    with pytest.raises(ValidationError) as refused:
        services.ci_update(actor=writer, ci=ci, data={"ci_type": ci_type("virtual-machine")})
    moved = services.ci_update(actor=writer, ci=ci, data={
        "ci_type": ci_type("virtual-machine"), "attributes": {"hostname": "h", "vcpu_count": 4}})

    assert set(refused.value.message_dict) == {"attributes.cpu_count"}
    assert moved.ci_type.slug == "virtual-machine" and moved.attributes == {"hostname": "h", "vcpu_count": 4}


def test_changing_customers_writes_one_history_row_that_holds_them(writer):
    ci = services.ci_create(actor=writer, data=server_data())
    customer = CustomerFactory()
    rows_before = ci.history.count()

    services.ci_update(actor=writer, ci=ci, data={"customers": [customer]}, reason="contract signed")

    assert ci.history.count() == rows_before + 1
    latest = ci.history.latest("history_id")
    assert latest.history_change_reason == "contract signed"
    assert [c.customer_id for c in latest.customers.all()] == [customer.pk]


# --- lifecycle ---------------------------------------------------------------------------------

def test_a_ci_goes_live_only_with_an_owner_team(writer):
    ci = services.ci_create(actor=writer, data=server_data())

    with pytest.raises(GuardFailed) as refused:
        transition_apply(actor=writer, record=ci, name="go_live")
    assert "owner_team" in refused.value.fields
    services.ci_update(actor=writer, ci=ci, data={"owner_team": TeamFactory()})
    live = transition_apply(actor=writer, record=ci, name="go_live")

    assert live.status == CIStatus.LIVE
    assert journal_for(live, writer).get().data == {"transition": "go_live", "from": "planned", "to": "live"}


def test_a_live_ci_keeps_its_owner(writer):
    ci = services.ci_create(actor=writer, data=server_data(owner_team=TeamFactory(), status="live"))

    with pytest.raises(ValidationError) as refused:
        services.ci_update(actor=writer, ci=ci, data={"owner_team": None})

    assert set(refused.value.message_dict) == {"owner_team"}


def test_a_status_given_to_update_goes_through_the_lifecycle(writer):
    ci = services.ci_create(actor=writer, data=server_data(owner_team=TeamFactory()))

    live = services.ci_update(actor=writer, ci=ci, data={"status": "live"})
    with pytest.raises(ValidationError) as refused:
        services.ci_update(actor=writer, ci=live, data={"status": "planned"})

    assert live.status == CIStatus.LIVE
    assert set(refused.value.message_dict) == {"status"}
    assert ConfigurationItem.objects.get().status == CIStatus.LIVE


# --- upsert ------------------------------------------------------------------------------------

def test_upsert_creates_then_updates_then_writes_nothing_when_nothing_changed(writer):
    data = {"name": "web-1", "ci_type": ci_type("server"), "attributes": {"hostname": "web-1"}}

    created, was_created = services.ci_upsert(actor=writer, source="vcenter", external_id="vm-1", data=data)
    updated, second = services.ci_upsert(actor=writer, source="vcenter", external_id="vm-1",
                                         data={**data, "attributes": {"hostname": "web-1", "os": "Debian 13"}})
    again, third = services.ci_upsert(actor=writer, source="vcenter", external_id="vm-1",
                                      data={**data, "attributes": {"hostname": "web-1", "os": "Debian 13"}})

    assert (was_created, second, third) == (True, False, False)
    assert created.pk == updated.pk == again.pk
    assert (again.version, again.attributes["os"]) == (2, "Debian 13")
    assert again.history.count() == 2
    assert ConfigurationItem.objects.count() == 1


def test_upsert_needs_the_key(writer):
    with pytest.raises(ValidationError) as refused:
        services.ci_upsert(actor=writer, source="", external_id=" ", data=server_data())

    assert set(refused.value.message_dict) == {"source", "external_id"}
    assert ConfigurationItem.objects.count() == 0


# --- relationships -----------------------------------------------------------------------------

def test_a_relationship_is_journaled_on_both_cis_and_its_deletion_names_the_actor(writer):
    app, host = make_ci(writer, name="shop"), make_ci(writer, type_slug="server", name="host")

    relationship = link(app, host, type_slug="runs-on", actor=writer)
    services.relationship_delete(actor=writer, relationship=relationship)

    assert Relationship.objects.count() == 0
    deleted = Relationship.history.latest("history_id")
    assert (deleted.history_type, deleted.history_user) == ("-", writer)
    assert [e.data["action"] for e in journal_for(app, writer)] == ["added", "removed"]
    assert [e.body for e in journal_for(host, writer)] == [
        f"Relationship added: {host} hosts {app}.", f"Relationship removed: {host} hosts {app}."]


def test_self_links_and_duplicates_are_refused(writer):
    app, db = make_ci(writer), make_ci(writer, type_slug="database")
    link(app, db, actor=writer)

    with assert_nothing_written():
        with pytest.raises(ValidationError) as self_link:
            link(app, app, actor=writer)
        with pytest.raises(ValidationError) as duplicate:
            link(app, db, actor=writer)

    assert set(self_link.value.message_dict) == {"target"}
    assert "already depends on" in duplicate.value.message_dict["target"][0]


def test_retired_cis_get_no_new_relationships(writer):
    app, old = make_ci(writer), make_ci(writer)
    transition_apply(actor=writer, record=old, name="retire")

    with assert_nothing_written(), pytest.raises(ValidationError) as refused:
        link(app, old, actor=writer)

    assert set(refused.value.message_dict) == {"target"}


def test_agents_cannot_link_or_unlink(writer):
    app, db = make_ci(writer), make_ci(writer)
    relationship = link(app, db, actor=writer)
    agent = UserFactory(roles=["agent"])

    with assert_nothing_written():
        with pytest.raises(NotPermitted):
            services.relationship_delete(actor=agent, relationship=relationship)
        with pytest.raises(NotPermitted):
            link(db, app, actor=agent)


# --- types -------------------------------------------------------------------------------------

@pytest.fixture
def administrator():
    return UserFactory(username="cmdb-admin", roles=["administrator"])


def test_administrators_create_types_with_a_validated_schema(administrator, writer):
    created = services.ci_type_create(actor=administrator, data={
        "name": "Printer", "slug": "printer", "attribute_schema": [{"name": "ppm", "kind": "integer"}]})

    with pytest.raises(ValidationError) as bad_schema:
        services.ci_type_create(actor=administrator, data={
            "name": "Scanner", "slug": "scanner", "attribute_schema": [{"name": "Bad Name", "kind": "text"}]})
    with pytest.raises(NotPermitted):
        services.ci_type_create(actor=writer, data={"name": "Fax", "slug": "fax"})

    assert created.attribute_schema == [{"name": "ppm", "label": "ppm", "kind": "integer", "required": False}]
    assert set(bad_schema.value.message_dict) == {"attribute_schema"}
    assert not CIType.objects.filter(slug__in=["scanner", "fax"]).exists()


def test_a_schema_change_that_would_break_existing_cis_is_refused(administrator, writer):
    server = ci_type("server")
    ci = services.ci_create(actor=writer, data=server_data(attributes={"hostname": "h", "cpu_count": 4}))
    without_cpu = [d for d in server.attribute_schema if d["name"] != "cpu_count"]
    cpu_as_choice = [d if d["name"] != "cpu_count" else {**d, "kind": "choice", "choices": ["8"]}
                     for d in server.attribute_schema]

    for schema in (without_cpu, cpu_as_choice):
        with assert_nothing_written(), pytest.raises(ValidationError) as refused:
            services.ci_type_update(actor=administrator, ci_type=server, data={"attribute_schema": schema})
        assert ci.number in refused.value.message_dict["attribute_schema"][0]
    server.refresh_from_db()
    assert any(d["name"] == "cpu_count" and d["kind"] == "integer" for d in server.attribute_schema)


def test_a_schema_change_that_existing_cis_satisfy_is_saved(administrator, writer):
    server = ci_type("server")
    services.ci_create(actor=writer, data=server_data())
    schema = [*server.attribute_schema, {"name": "rack", "kind": "text"}]

    updated = services.ci_type_update(actor=administrator, ci_type=server, data={"attribute_schema": schema},
                                      expected_version=server.version)

    assert updated.version == server.version + 1
    assert updated.attribute_schema[-1]["name"] == "rack"


def test_a_service_type_with_catalogue_entries_stays_a_service_type(administrator, writer):
    make_service(writer, catalogue_status="live", owner_team=TeamFactory())

    with pytest.raises(ValidationError) as refused:
        services.ci_type_update(actor=administrator, ci_type=ci_type("business-service"), data={"is_service": False})

    assert set(refused.value.message_dict) == {"is_service"}


def test_relationship_types_are_administered(administrator, writer):
    created = services.relationship_type_create(actor=administrator, data={
        "slug": "backs-up", "forward_label": "backs up", "reverse_label": "backed up by"})
    services.relationship_type_update(actor=administrator, relationship_type=created, data={"is_active": False})

    with pytest.raises(NotPermitted):
        services.relationship_type_create(actor=writer, data={"slug": "x", "forward_label": "x", "reverse_label": "y"})
    with pytest.raises(ValidationError) as inactive:
        link(make_ci(writer), make_ci(writer), type_slug="backs-up", actor=writer)

    assert RelationshipType.objects.get(slug="backs-up").history.count() == 2
    assert set(inactive.value.message_dict) == {"type"}
    assert relationship_type("backs-up").is_active is False


# --- bulk creation (imports) -------------------------------------------------------------------

def test_create_many_writes_valid_items_with_history_customers_and_events_and_refuses_the_rest(writer):
    acme = CustomerFactory(code="acme")
    make_ci(writer, type_slug="server", source="vcenter", external_id="vm-1", attributes={"hostname": "h"})

    outcomes = services.ci_create_many(actor=writer, reason="imported", items=[
        server_data(name="a", customers=[acme], source="vcenter", external_id="vm-2"),
        server_data(name="b", attributes={}),  # required attribute missing
        server_data(name="c", source="vcenter", external_id="vm-1"),  # key taken
        server_data(name="d", source="vcenter", external_id="vm-2"),  # key repeated in the batch
        server_data(name="e"),
    ])

    a, b, c, d, e = outcomes
    assert [type(o).__name__ for o in outcomes] == ["ConfigurationItem", "ValidationError", "ValidationError",
                                                    "ValidationError", "ConfigurationItem"]
    assert set(b.message_dict) == {"attributes.hostname"} and set(c.message_dict) == set(d.message_dict) == {
        "external_id"}
    assert int(e.number[2:]) == int(a.number[2:]) + 1  # refused items consume no number
    created = ConfigurationItem.objects.get(pk=a.pk)
    assert (created.created_by, list(created.customers.all())) == (writer, [acme])
    history = created.history.get()
    assert (history.history_type, history.history_user, history.history_change_reason) == ("+", writer, "imported")
    assert [c.customer_id for c in history.customers.all()] == [acme.pk]
    assert DomainEvent.objects.filter(name="configurationitem.created", object_id__in=[a.pk, e.pk]).count() == 2


def test_create_many_checks_the_permission(writer):
    with pytest.raises(NotPermitted):
        services.ci_create_many(actor=UserFactory(roles=["agent"]), items=[server_data()])


def test_create_many_links_writes_history_journal_and_events_and_refuses_bad_links(writer):
    app, db, host = make_ci(writer, name="app"), make_ci(writer, name="db"), make_ci(writer, name="host")
    depends_on = relationship_type("depends-on")
    link(app, db, actor=writer)

    outcomes = services.relationship_create_many(actor=writer, reason="imported", links=[
        (db, host, depends_on), (app, db, depends_on), (app, app, depends_on), (db, host, depends_on)])

    assert [type(o).__name__ for o in outcomes] == ["Relationship", "ValidationError", "ValidationError",
                                                    "ValidationError"]
    created = Relationship.objects.get(source=db, target=host)
    history = created.history.get()
    assert (history.history_user, history.history_change_reason) == (writer, "imported")
    assert [e.body for e in journal_for(host, writer)] == [f"Relationship added: {host} used by {db}."]
    assert DomainEvent.objects.filter(name="relationship.created", object_id=created.pk).count() == 1
    assert Relationship.objects.count() == 2
