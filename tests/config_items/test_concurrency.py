"""Discovery syncs racing each other, each on its own database connection (row locks and the
unique constraint on PostgreSQL, the database write lock on SQLite)."""

import pytest

from config_items import services
from config_items.models import CIType, ConfigurationItem, Relationship, RelationshipType
from tests.config_items.factories import make_ci

# serialized_rollback: the flush after each transactional test would remove the default CI
# and relationship types that a data migration created; this restores them for later tests.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SYNCS = 6


@pytest.fixture
def writer(make_user):
    return make_user("team_lead", username="sync-writer")


def test_concurrent_upserts_of_one_new_ci_create_it_once(run_concurrently, widen_race, writer):
    server = CIType.objects.get(slug="server")
    # both callers find no CI, then wait here before inserting, so their inserts collide
    widen_race("config_items.services.ci_create")

    def sync():
        return services.ci_upsert(actor=writer, source="vcenter", external_id="vm-42", data={
            "name": "web-42", "ci_type": server, "attributes": {"hostname": "web-42", "cpu_count": 2}})

    outcomes = run_concurrently(*[sync] * SYNCS)

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert sorted(created for _, created in outcomes) == [False] * (SYNCS - 1) + [True]
    ci = ConfigurationItem.objects.get()
    assert {o[0].pk for o in outcomes} == {ci.pk}
    assert ci.history.count() == 1  # the losers found the same data and wrote nothing


def test_concurrent_identical_links_create_one_relationship(run_concurrently, writer):
    app, db = make_ci(writer, name="app"), make_ci(writer, type_slug="database", name="db")
    depends_on = RelationshipType.objects.get(slug="depends-on")

    outcomes = run_concurrently(*[
        lambda: services.relationship_create(actor=writer, source=app, target=db, type=depends_on)
    ] * 4)

    assert sorted(type(o).__name__ for o in outcomes) == ["Relationship"] + ["ValidationError"] * 3
    assert Relationship.objects.count() == 1
