"""CMDB reads: access gate, impact analysis, baselines and their diff, data quality, catalogue."""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.http import Http404
from django.utils import timezone

from config_items import selectors, services
from config_items.models import ConfigurationItem
from itsm.workflow import transition_apply
from tests.config_items.factories import ci_type, cmdb_writer, link, make_ci, make_service
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer():
    return cmdb_writer()


@pytest.fixture
def stack(writer):
    """shop (service) → app → db → host: each depends on the next."""
    shop = make_service(writer, name="Shop")
    app = make_ci(writer, name="shop-app")
    db = make_ci(writer, type_slug="database", name="shop-db")
    host = make_ci(writer, type_slug="server", name="host-1")
    link(shop, app, actor=writer)
    link(app, db, actor=writer)
    link(db, host, actor=writer, type_slug="runs-on")
    return shop, app, db, host


def names(result):
    return [(node["name"], node["depth"]) for node in result.nodes]


# --- access ------------------------------------------------------------------------------------

def test_requesters_see_no_cis_and_get_not_found(writer):
    ci = make_ci(writer)
    requester = UserFactory(roles=["requester"])

    assert list(selectors.ci_list(requester)) == []
    with pytest.raises(Http404):
        selectors.ci_get_for_user(requester, ci.pk)
    assert selectors.ci_get_for_user(UserFactory(roles=["auditor"]), ci.pk) == ci


# --- impact ------------------------------------------------------------------------------------

def test_upstream_is_everything_that_depends_on_the_ci_with_paths(stack):
    shop, app, db, host = stack

    result = selectors.impact(host, direction="upstream")

    assert names(result) == [("host-1", 0), ("shop-db", 1), ("shop-app", 2), ("Shop", 3)]
    assert result.nodes[-1]["path"] == [host.pk, db.pk, app.pk, shop.pk]
    assert result.nodes[-1]["is_service"] is True and result.nodes[-1]["type"] == "Business service"
    assert result.truncated is False
    assert {(e["source"], e["target"], e["type_label"]) for e in result.edges} == {
        (shop.pk, app.pk, "depends on"), (app.pk, db.pk, "depends on"), (db.pk, host.pk, "runs on")}


def test_downstream_is_everything_the_ci_depends_on(stack):
    app = stack[1]

    assert names(selectors.impact(app, direction="downstream")) == [("shop-app", 0), ("shop-db", 1), ("host-1", 2)]


def test_depth_limits_the_walk(stack):
    host = stack[3]

    assert names(selectors.impact(host, direction="upstream", depth=2)) == [
        ("host-1", 0), ("shop-db", 1), ("shop-app", 2)]


def test_a_cycle_ends_and_each_ci_appears_once_at_its_smallest_depth(writer):
    a, b, c, d = (make_ci(writer, name=name) for name in "abcd")
    for source, target in ((a, b), (b, c), (c, a), (a, d), (b, d), (c, d)):
        link(source, target, actor=writer)

    result = selectors.impact(a, direction="downstream", depth=10)

    assert names(result) == [("a", 0), ("b", 1), ("d", 1), ("c", 2)]
    assert [n["path"] for n in result.nodes] == [[a.pk], [a.pk, b.pk], [a.pk, d.pk], [a.pk, b.pk, c.pk]]
    assert len(result.edges) == 6


def test_a_large_result_is_truncated(stack):
    result = selectors.impact(stack[3], direction="upstream", limit=2)

    assert names(result) == [("host-1", 0), ("shop-db", 1)]
    assert result.truncated is True


def test_impact_takes_at_most_five_queries_on_a_graph_of_hundreds(writer, django_assert_max_num_queries):
    # a service over 10 applications, each over 30 servers; every fifth server also depends
    # on its neighbour (cross links), and the last server loops back to the service (a cycle).
    service = make_service(writer, name="Payments")
    servers = []
    for n in range(10):
        app = make_ci(writer, name=f"app-{n}")
        link(service, app, actor=writer)
        for m in range(30):
            server = make_ci(writer, type_slug="server", name=f"srv-{n}-{m}")
            link(app, server, actor=writer, type_slug="runs-on")
            servers.append(server)
    for index in range(0, len(servers) - 1, 5):
        link(servers[index], servers[index + 1], actor=writer, type_slug="connects-to")
    link(servers[-1], service, actor=writer)

    with django_assert_max_num_queries(5):
        result = selectors.impact(service, direction="downstream", depth=10)

    assert len(result.nodes) == 311
    assert len(result.edges) == 10 + 300 + 60 + 1
    assert max(node["depth"] for node in result.nodes) == 2


# --- baselines ---------------------------------------------------------------------------------

def test_a_baseline_holds_the_root_and_everything_under_it(stack, writer):
    shop, app, db, host = stack
    unrelated = make_ci(writer, name="elsewhere")
    link(unrelated, app, actor=writer)  # depends on the stack, is not under the service

    baseline = services.baseline_create(actor=writer, root=shop, name="Before release 5", reason="release")

    assert baseline.number.startswith("BL")
    assert sorted(item["name"] for item in baseline.snapshot["items"].values()) == [
        "Shop", "host-1", "shop-app", "shop-db"]
    assert baseline.snapshot["relationships"] == sorted(
        [[shop.pk, app.pk, "depends-on"], [app.pk, db.pk, "depends-on"], [db.pk, host.pk, "runs-on"]])
    assert baseline.snapshot["items"][str(host.pk)]["attributes"] == host.attributes


def test_a_baseline_needs_a_name_and_a_reason(stack, writer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.baseline_create(actor=writer, root=stack[0], name=" ", reason="")

    assert set(refused.value.message_dict) == {"name", "reason"}


def test_the_diff_shows_added_removed_and_changed_items_and_links(stack, writer):
    shop, app, db, host = stack
    before = services.baseline_create(actor=writer, root=shop, name="before", reason="release")
    services.relationship_delete(actor=writer, relationship=db.outgoing.get())
    cache = make_ci(writer, name="shop-cache")
    link(app, cache, actor=writer)
    services.ci_update(actor=writer, ci=db, data={"description": "moved", "attributes": {
        "engine": "postgresql", "version": "16"}})

    diff = selectors.baseline_diff(before.snapshot, selectors.snapshot_of(shop))

    assert diff["items"]["added"] == [{"id": cache.pk, "number": cache.number, "name": "shop-cache"}]
    assert diff["items"]["removed"] == [{"id": host.pk, "number": host.number, "name": "host-1"}]
    assert diff["items"]["changed"] == [{"id": db.pk, "number": db.number, "name": "shop-db", "fields": {
        "description": ["", "moved"], "attributes.version": [None, "16"]}}]
    assert diff["relationships"] == {"added": [[app.pk, cache.pk, "depends-on"]],
                                     "removed": [[db.pk, host.pk, "runs-on"]]}


def test_the_diff_of_a_snapshot_with_itself_is_empty(stack):
    snapshot = selectors.snapshot_of(stack[0])

    assert selectors.baseline_diff(snapshot, snapshot) == {
        "items": {"added": [], "removed": [], "changed": []}, "relationships": {"added": [], "removed": []}}


# --- data quality and catalogue ----------------------------------------------------------------

def test_the_data_quality_report(writer, stack):
    shop, app, db, host = stack
    team = TeamFactory()
    lonely = make_service(writer, name="Lonely service", owner_team=team, status="live")
    live_shop = services.ci_update(actor=writer, ci=shop, data={"owner_team": team, "status": "live"})
    twin_a = make_ci(writer, name="twin", owner_team=team)
    twin_b = make_ci(writer, name="twin", owner_team=team)
    make_ci(writer, type_slug="database", name="twin", owner_team=team)  # same name, other type
    retired = make_ci(writer, name="old")
    transition_apply(actor=writer, record=retired, name="retire")
    ConfigurationItem.objects.filter(pk=host.pk).update(updated_at=timezone.now() - timedelta(days=120))

    report = selectors.data_quality(writer, stale_days=90)

    assert set(report["no_owner"]) == {app, db, host}
    assert list(report["services_without_ci"]) == [lonely]
    assert list(report["stale"]) == [host]
    assert report["duplicate_names"] == [(ci_type("application"), "twin", 2, [twin_a.pk, twin_b.pk])]
    assert live_shop not in report["services_without_ci"]


def test_the_catalogue_lists_live_services_optionally_for_one_customer(writer):
    acme, globex = CustomerFactory(code="acme"), CustomerFactory(code="globex")
    team = TeamFactory()
    mail = make_service(writer, name="Mail", catalogue_status="live", customers=[acme, globex], owner_team=team)
    web = make_service(writer, name="Web", catalogue_status="live", customers=[globex], owner_team=team)
    make_service(writer, name="Planned", catalogue_status="pipeline")
    make_ci(writer, name="not a service")

    assert list(selectors.catalogue(writer)) == [mail, web]
    assert list(selectors.catalogue(writer, customer=acme)) == [mail]


def test_a_baseline_of_a_cycle_holds_each_ci_once_however_deep(writer):
    chain = [make_ci(writer, name=f"n{n}") for n in range(30)]
    for source, target in pairwise(chain):
        link(source, target, actor=writer)
    link(chain[-1], chain[0], actor=writer)  # and back to the start

    snapshot = selectors.snapshot_of(chain[0])

    assert sorted(snapshot["items"]) == sorted(str(ci.pk) for ci in chain)
    assert len(snapshot["relationships"]) == 30
