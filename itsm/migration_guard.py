"""Refuse a rollback that would drop a table other rows still point at by record type and id.

Journal entries, domain events, attachments, SLA timers (and the admin site's log) name their
record by content type and id, not by a foreign key. Unapplying a migration that creates a
model drops its table; migrating forward again recreates it, and its ids start again from 1.
The rows left behind would then belong to whichever new record takes their old id: another
incident's work notes, attachments and SLA timers. So `migrate` (a `pre_migrate` receiver,
before anything runs) refuses such a plan while such rows exist; the way back from an upgrade
that must be undone is restoring the backup taken before it (docs/operations.md, "Upgrades and
rollbacks"). `manage.py migrate --discard-references` goes ahead anyway (a database whose
records may be thrown away: a trial, a test run).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.core.management.base import CommandError
from django.db import connections
from django.db.migrations.operations import CreateModel, SeparateDatabaseAndState

_allowed = ContextVar("itsm_discard_references", default=False)


@contextmanager
def discarding_references(allowed=True):
    """Within the block, `refuse_orphaning_rollback` lets the plan through."""
    token = _allowed.set(allowed)
    try:
        yield
    finally:
        _allowed.reset(token)


def _created_models(operations):
    for operation in operations:
        if isinstance(operation, CreateModel):
            yield operation.name_lower
        elif isinstance(operation, SeparateDatabaseAndState):
            yield from _created_models(operation.database_operations)


def dropped_models(plan):
    """(app_label, model_name) of every table the plan drops by unapplying a CreateModel."""
    return {(migration.app_label, name) for migration, backwards in plan if backwards
            for name in _created_models(migration.operations)}


def reference_models(apps):
    """Models naming a record by type and id: a foreign key to ContentType and an `object_id`."""
    found = []
    for model in apps.get_models():
        fields = {field.name: field for field in model._meta.concrete_fields}
        content_type = fields.get("content_type")
        if ("object_id" in fields and content_type is not None and content_type.is_relation
                and content_type.related_model._meta.label_lower == "contenttypes.contenttype"):
            found.append(model)
    return found


def orphaned_references(plan, apps, using):
    """["<rows> <model> rows point at <app.model>", ...] for the tables the plan would drop."""
    dropped = dropped_models(plan)
    if not dropped:
        return []
    tables = set(connections[using].introspection.table_names())
    try:
        ContentType = apps.get_model("contenttypes", "ContentType")
    except LookupError:
        return []
    if ContentType._meta.db_table not in tables:
        return []
    dropped_types = {(ct.app_label, ct.model): ct.pk for ct in ContentType.objects.using(using).filter(
        app_label__in={app for app, _ in dropped}, model__in={name for _, name in dropped})
        if (ct.app_label, ct.model) in dropped}
    found = []
    for model in reference_models(apps):
        if model._meta.db_table not in tables or (model._meta.app_label, model._meta.model_name) in dropped:
            continue  # not there yet, or dropped by the same plan (its rows go with it)
        for (app_label, name), type_id in sorted(dropped_types.items()):
            count = model._default_manager.using(using).filter(content_type_id=type_id).count()
            if count:
                found.append(f"{count} {model._meta.label} rows point at {app_label}.{name}")
    return found


def refuse_orphaning_rollback(sender, plan=None, apps=None, using="default", **kwargs):
    """pre_migrate receiver (connected once, for the kernel's app config)."""
    if not plan or apps is None or _allowed.get():
        return
    found = orphaned_references(plan, apps, using)
    if found:
        raise CommandError(
            "This rollback drops tables that other rows name by record type and id: "
            + "; ".join(found) + ". Records created after migrating forward again would reuse "
            "those ids and inherit the rows. Restore the backup taken before the upgrade instead "
            "(docs/operations.md, \"Upgrades and rollbacks\"), or pass --discard-references "
            "to a database whose records may be thrown away.")
