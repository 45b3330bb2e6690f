"""The migration graph: rolling back one app's migration never unapplies another app's.

A migration that depends on another app's *data* migration (or on a later migration than the
schema it needs) ties the two apps together: rolling that data migration back, which itself
changes nothing, unapplied every migration after it, in both apps — `migrate config_items 0001`
dropped the incident and SLA tables. And a rollback that drops a table leaves journal entries,
events, attachments and timers pointing at ids the recreated table hands out again, so
`migrate` refuses it while such rows exist (itsm/migration_guard.py).

Read from the migration files alone (no database), except the guard's row checks.
"""

from io import StringIO

import pytest
from django.apps import apps as global_apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations import RunPython, RunSQL, SeparateDatabaseAndState
from django.db.models.signals import pre_migrate

from itsm.migration_guard import (
    discarding_references,
    dropped_models,
    reference_models,
    refuse_orphaning_rollback,
)
from itsm.models import Attachment, DomainEvent, JournalEntry

# The product's apps and the tests' record app: every other migration is Django's own.
PROJECT_APPS = ("itsm", "config_items", "slas", "incidents", "kernel_app")


@pytest.fixture(scope="module")
def executor():
    """An executor over the migration files, planning as if every migration were applied."""
    executor = MigrationExecutor(None)
    graph = executor.loader.graph
    executor.loader.applied_migrations = {key: graph.nodes[key] for key in graph.nodes}
    return executor


def changes_schema(operation):
    """True for an operation that creates or changes models (tables, fields, indexes, options)."""
    if isinstance(operation, SeparateDatabaseAndState):
        return any(map(changes_schema, [*operation.state_operations, *operation.database_operations]))
    if isinstance(operation, RunSQL):
        return bool(operation.state_operations)
    return not isinstance(operation, RunPython)


def project_migrations(executor):
    graph = executor.loader.graph
    return [graph.nodes[key] for key in sorted(graph.nodes) if key[0] in PROJECT_APPS]


def test_cross_app_dependencies_point_at_schema_migrations(executor):
    graph = executor.loader.graph
    wrong = []
    for migration in project_migrations(executor):
        for parent in graph.node_map[(migration.app_label, migration.name)].parents:
            if parent.key[0] == migration.app_label:
                continue
            target = graph.nodes[parent.key]
            if not any(map(changes_schema, target.operations)):
                wrong.append(f"{migration.app_label}.{migration.name} -> {parent.key[0]}.{parent.key[1]}")
    assert not wrong, (
        "These migrations depend on another app's data-only migration; depend on the migration "
        "that creates what they need instead (rolling the data migration back would unapply them): "
        + ", ".join(wrong))


def test_the_check_sees_a_data_only_migration(executor):
    graph = executor.loader.graph
    assert not any(map(changes_schema, graph.nodes[("config_items", "0002_default_types")].operations))
    assert any(map(changes_schema, graph.nodes[("config_items", "0001_initial")].operations))
    assert any(map(changes_schema, graph.nodes[("incidents", "0007_triage_index")].operations))


def one_step_back(executor, app_label, name):
    """The plan of `migrate <app_label> <the migration before name>` on a fully migrated database."""
    graph = executor.loader.graph
    parents = [p.key for p in graph.node_map[(app_label, name)].parents if p.key[0] == app_label]
    target = (app_label, parents[0][1]) if parents else (app_label, None)
    return executor.migration_plan([target])


@pytest.mark.parametrize("app_label", PROJECT_APPS)
def test_rolling_back_an_apps_last_migration_unapplies_only_that_app(executor, app_label):
    (leaf,) = executor.loader.graph.leaf_nodes(app_label)
    plan = one_step_back(executor, *leaf)
    assert [(m.app_label, m.name, backwards) for m, backwards in plan] == [(app_label, leaf[1], True)]


def test_rolling_back_the_cmdbs_data_migrations_leaves_incidents_and_slas_alone(executor):
    """The reported case: `migrate config_items 0001` unapplied incidents and SLAs (dropped their tables)."""
    plan = one_step_back(executor, "config_items", "0002_default_types")
    assert {m.app_label for m, _ in plan} == {"config_items"}
    assert all(backwards for _, backwards in plan)
    assert not dropped_models(plan)


def test_generic_references_are_found():
    found = {model._meta.label for model in reference_models(global_apps)}
    assert {"itsm.JournalEntry", "itsm.DomainEvent", "itsm.Attachment", "slas.Timer",
            "admin.LogEntry"} <= found
    assert "auth.Permission" not in found  # a content type, but no record id


@pytest.mark.django_db
def test_a_rollback_that_drops_referenced_records_is_refused(executor):
    plan = executor.migration_plan([("config_items", None)])  # config_items zero: incidents, SLAs too
    assert ("config_items", "configurationitem") in dropped_models(plan)
    ci_type = ContentType.objects.get(app_label="config_items", model="configurationitem")
    refuse_orphaning_rollback(None, plan=plan, apps=global_apps, using="default")  # nothing points there

    JournalEntry.objects.create(content_type=ci_type, object_id=1, kind="system")
    DomainEvent.objects.create(name="ci.created", content_type=ci_type, object_id=1)
    with pytest.raises(CommandError) as refused:  # as `migrate` sends it, before it runs anything
        kernel = global_apps.get_app_config("itsm")
        pre_migrate.send(sender=kernel, app_config=kernel, verbosity=0, interactive=False,
                         using="default", plan=plan, apps=global_apps)
    assert "1 itsm.JournalEntry rows point at config_items.configurationitem" in str(refused.value)
    assert "1 itsm.DomainEvent rows point at config_items.configurationitem" in str(refused.value)
    assert "backup" in str(refused.value)

    with discarding_references():
        refuse_orphaning_rollback(None, plan=plan, apps=global_apps, using="default")


@pytest.mark.django_db
def test_rows_dropped_with_the_plan_and_index_rollbacks_are_not_refused(executor):
    ci_type = ContentType.objects.get(app_label="config_items", model="configurationitem")
    JournalEntry.objects.create(content_type=ci_type, object_id=1, kind="system")
    # Data and index migrations drop no table.
    refuse_orphaning_rollback(None, plan=one_step_back(executor, "config_items", "0002_default_types"),
                              apps=global_apps, using="default")
    # Unapplying the attachments' own table drops the referencing rows, not a referenced record.
    plan = one_step_back(executor, "itsm", "0005_attachment")
    assert ("itsm", "attachment") in dropped_models(plan)
    assert Attachment._meta.label in {m._meta.label for m in reference_models(global_apps)}
    refuse_orphaning_rollback(None, plan=plan, apps=global_apps, using="default")


@pytest.mark.django_db
def test_migrate_offers_the_override():
    # The kernel's `migrate` is Django's with one option more; a plan that unapplies nothing runs.
    call_command("migrate", "config_items", "--discard-references", "--check", verbosity=0)
    call_command("migrate", "config_items", "--plan", verbosity=0)


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    """A model or choices change without its migration is caught here, not on the next
    deployment's `migrate` (which would not apply what was never written)."""
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"run `manage.py makemigrations`: {out.getvalue()}")
