"""Trigram indexes for searching CIs by a part of their name or number, on PostgreSQL.

The CMDB list's search box and the header's global search filter with `name__icontains` and
`number__icontains`, which Django writes as `UPPER(column::text) LIKE UPPER('%text%')`: GIN
indexes with pg_trgm's operator class on those expressions serve them (one bitmap each, OR-ed).
SQLite has no such index and scans. Built CONCURRENTLY (not in a transaction), so that the
running release keeps writing CIs while they build.
"""

from django.db import migrations

INDEXES = {
    "ci_name_trgm": "UPPER(name::text) gin_trgm_ops",
    "ci_number_trgm": "UPPER(number::text) gin_trgm_ops",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON config_items_configurationitem USING gin ({expression})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("config_items", "0002_default_types")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
