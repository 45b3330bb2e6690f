"""A trigram index for searching incidents by a part of their short description, on PostgreSQL.

The queue's search box and the header's global search (incidents.selectors.incident_search)
filter with `short_description__icontains`, which Django writes as
`UPPER(short_description::text) LIKE UPPER('%text%')`: a GIN index with pg_trgm's operator
class on that very expression serves it (without it, every search reads all incidents).
SQLite has no such index and searches by scanning, which suits its sizes.

Built CONCURRENTLY (so not in a transaction): migrations run while the old release still
serves requests, and a plain CREATE INDEX would block the creation of incidents for as long as
it takes to index every row.
"""

from django.db import migrations

INDEX = "inc_short_description_trgm"
# Also used by bench/incident_queue.py, which drops the index while it seeds 10^6 rows.
CREATE = f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON incidents_incident " \
         "USING gin (UPPER(short_description::text) gin_trgm_ops)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("incidents", "0005_assignment_rules")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
