"""A partial index of the open incidents without an assignment group: the triage queue
(`?queue=triage`) reads its rows in the queue's order from it, and its tab's count, made on
every queue page, is an index-only scan of those few rows.

Built CONCURRENTLY on PostgreSQL (so not in a transaction), as 0006: migrations run while the
old release still serves requests, and a plain CREATE INDEX would block the creation of
incidents while it reads the whole table. The model's Meta.indexes declares the same index.
"""

from django.db import migrations, models

OPEN = models.Q(state__in=["new", "in_progress", "on_hold"])
INDEX = models.Index(fields=["priority", "opened_at", "id"], name="inc_open_no_group",
                     condition=OPEN & models.Q(assignment_group__isnull=True))


def create(apps, schema_editor):
    model = apps.get_model("incidents", "Incident")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(model, INDEX, concurrently=True)
    else:
        schema_editor.add_index(model, INDEX)


def drop(apps, schema_editor):
    model = apps.get_model("incidents", "Incident")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(model, INDEX, concurrently=True)
    else:
        schema_editor.remove_index(model, INDEX)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("incidents", "0006_search_trigram")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="incident", index=INDEX)],
            database_operations=[migrations.RunPython(create, drop, elidable=False)],
        ),
    ]
