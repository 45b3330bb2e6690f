"""Unauthorised change detection over the CMDB history: what counts, what covers it, and a
cursor that makes each run read only the history written since the last."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from changes.choices import ExceptionState, ProposalKind
from changes.models import DetectionCursor, ExemptSource, UnauthorisedChange
from changes.services.proposals import proposal_add
from changes.services.states import change_transition
from changes.services.unauthorised import unauthorised_detect, unauthorised_resolve
from config_items import services as cmdb
from config_items.models import ConfigurationItem
from itsm.exceptions import NotPermitted
from itsm.models import JournalEntry
from tests.changes.factories import make_change, move
from tests.changes.factories_cmdb import live_ci, standard_change
from tests.config_items.factories import cmdb_writer, link, make_ci
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
NOW = timedelta(0)


def detect(**kwargs):
    return unauthorised_detect(settle=NOW, **kwargs)


def edit(ci, actor=None, **data):
    return cmdb.ci_update(actor=actor or cmdb_writer(), ci=ci, data=data)


def test_a_persons_edit_of_a_live_ci_is_an_exception_with_who_what_and_when():
    relay = live_ci(attributes={"hostname": "relay01"})
    writer = cmdb_writer()
    edit(relay, writer, description="hand-edited", attributes={"hostname": "relay01", "os": "Debian 12"})

    assert detect() == 1

    found = UnauthorisedChange.objects.get()
    assert found.ci == relay and found.changed_by == writer and found.state == ExceptionState.OPEN
    assert found.fields == {"description": ["", "hand-edited"], "attributes.os": [None, "Debian 12"]}
    assert found.changed_at == relay.history.latest().history_date
    assert found.history.count() == 1  # the exception keeps a history of its own


def test_creations_and_cis_not_in_service_do_not_count():
    planned = make_ci(name="tomorrow's app")
    edit(planned, description="still planning")
    live_ci()
    assert detect() == 0


def test_a_ci_taken_out_of_service_counts():
    relay = live_ci()
    cmdb.ci_update(actor=cmdb_writer(), ci=relay, data={"status": "retired"})
    assert detect() == 1
    assert UnauthorisedChange.objects.get().fields["status"] == ["live", "retired"]


def test_customers_changed_count():
    relay = live_ci()
    customer = CustomerFactory()
    edit(relay, customers=[customer])
    detect()
    assert UnauthorisedChange.objects.get().fields == {"customers": [[], [customer.pk]]}


def test_covered_while_a_change_on_the_ci_is_implemented(agent):
    relay = live_ci()
    change = move(agent, standard_change(agent, cis=[relay]), "start")
    edit(relay, description="during the change")
    change_transition(actor=agent, change=change, name="complete", data={"close_code": "failed"})
    edit(relay, description="after the change")

    assert detect() == 1
    assert UnauthorisedChange.objects.get().fields["description"] == ["during the change", "after the change"]


def test_a_change_on_another_ci_covers_nothing(agent):
    relay, other = live_ci(), live_ci(name="other")
    move(agent, standard_change(agent, cis=[other]), "start")
    edit(relay, description="not this one")
    assert detect() == 1


def test_proposals_applied_by_a_change_are_covered_but_its_number_alone_is_not(agent):
    relay, other = live_ci(attributes={"hostname": "relay01"}), live_ci(name="other")
    change = standard_change(agent, cis=[relay])
    proposal_add(actor=agent, change=change, data={"kind": ProposalKind.ATTRIBUTE, "ci": relay,
                                                   "field": "attributes.os", "after": "Debian 12"})
    change = change_transition(actor=agent, change=move(agent, change, "start"), name="complete",
                               data={"close_code": "successful"})
    # Someone borrows the change's number for a CI it never proposed to change.
    cmdb.ci_update(actor=cmdb_writer(), ci=other, data={"description": "x"}, reason=f"{change.number}: borrowed")

    assert detect() == 1
    assert UnauthorisedChange.objects.get().ci == other


def test_an_exempt_discovery_source_is_covered_but_a_person_editing_its_ci_is_not():
    ExemptSource.objects.create(source="vmware", reason="Discovery records what already is.")
    writer, team = cmdb_writer(), live_ci().owner_team
    base = {"name": "vm-1", "ci_type": ConfigurationItem._meta.get_field("ci_type").related_model.objects.get(
        slug="virtual-machine"), "attributes": {"hostname": "vm-1"}, "status": "live", "owner_team": team}
    vm, _created = cmdb.ci_upsert(actor=writer, source="vmware", external_id="vm-1", data=base)
    cmdb.ci_upsert(actor=writer, source="vmware", external_id="vm-1",
                   data={**base, "attributes": {"hostname": "vm-1", "memory_gb": 8}})
    other, _created = cmdb.ci_upsert(actor=writer, source="scanner", external_id="x", data={**base, "name": "x"})
    cmdb.ci_upsert(actor=writer, source="scanner", external_id="x", data={**base, "name": "x", "description": "y"})
    edit(vm, writer, description="by hand")

    assert detect() == 2
    assert {(e.ci_id, tuple(e.fields)) for e in UnauthorisedChange.objects.all()} == {
        (other.pk, ("description",)), (vm.pk, ("description",))}


def test_relationships_between_live_cis_count_and_are_kept_apart_from_ci_rows(agent):
    relay, database = live_ci(), live_ci(name="db-01")
    relationship = link(relay, database)
    cmdb.relationship_delete(actor=cmdb_writer(), relationship=relationship)

    assert detect() == 2

    added, removed = UnauthorisedChange.objects.order_by("history_id")[1], UnauthorisedChange.objects.order_by(
        "history_id")[0]
    assert added.fields == {"relationship": [None, f"{relay.number} depends on {database.number}"]}
    assert removed.fields == {"relationship": [f"{relay.number} depends on {database.number}", None]}
    assert added.history_id < 0 and added.ci == relay  # link rows: negative ids, the source CI


def test_each_run_reads_only_the_history_written_since_the_last():
    relay = live_ci()
    for n in range(5):
        edit(relay, description=f"edit {n}")
    assert detect(batch_size=2) == 5
    cursor = DetectionCursor.objects.get(name="config_items.configurationitem")
    assert cursor.last_history_id == relay.history.latest().history_id

    assert detect() == 0  # nothing new: nothing found twice
    edit(relay, description="one more")
    with CaptureQueriesContext(connection) as queries:
        assert detect() == 1
    history_reads = [q["sql"] for q in queries.captured_queries
                     if "historicalconfigurationitem" in q["sql"] and "history_id\" >" in q["sql"]]
    assert history_reads and all(str(cursor.last_history_id) in sql for sql in history_reads)


def test_a_batch_costs_the_same_queries_however_many_rows(django_assert_max_num_queries):
    cis = [live_ci(name=f"relay-{n}") for n in range(3)]
    detect()
    for ci in cis * 4:
        edit(ci, description=f"edit of {ci.pk} at {timezone.now()}")
    with django_assert_max_num_queries(30):
        assert detect() == 12


def test_rows_younger_than_the_settling_time_wait_for_the_next_run():
    relay = live_ci()
    edit(relay, description="just now")
    assert unauthorised_detect() == 0
    assert unauthorised_detect(now=timezone.now() + timedelta(minutes=5)) == 1


# --- resolving ---------------------------------------------------------------------------------

def one_exception():
    relay = live_ci()
    edit(relay, description="hand-edited")
    detect()
    return UnauthorisedChange.objects.get()


def test_a_manager_links_it_to_a_change_that_names_the_ci(agent, change_manager):
    found = one_exception()
    unrelated = make_change(agent)
    with pytest.raises(ValidationError) as error:
        unauthorised_resolve(actor=change_manager, exception=found, change=unrelated)
    assert "change" in error.value.message_dict

    change = make_change(agent, cis=[found.ci])
    resolved = unauthorised_resolve(actor=change_manager, exception=found, change=change)

    assert resolved.state == ExceptionState.LINKED and resolved.resolved_by == change_manager
    assert JournalEntry.objects.filter(object_id=change.pk, data__unauthorised_change=found.pk).exists()
    with pytest.raises(ValidationError):  # once only
        unauthorised_resolve(actor=change_manager, exception=found, reason="again")


def test_accepting_needs_a_reason_and_a_manager(agent, change_manager):
    found = one_exception()
    with pytest.raises(NotPermitted):
        unauthorised_resolve(actor=agent, exception=found, reason="fine")
    with pytest.raises(ValidationError) as error:
        unauthorised_resolve(actor=change_manager, exception=found, reason="  ")
    assert "reason" in error.value.message_dict
    resolved = unauthorised_resolve(actor=change_manager, exception=found, reason="Typo fixed in the description.")
    assert resolved.state == ExceptionState.ACCEPTED and resolved.resolved_at is not None

